"""Manufacturer pages: upload or paste a protocol, see errors beside its lines, publish."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from maintenance.services.catalog import protocols_of
from maintenance.services.figures.queries import models_of
from maintenance.services.protocols import ProtocolError, ProtocolInvalid, load_protocol
from maintenance.services.protocols.publish import (
    PublishConflict,
    PublishRefused,
    publish_protocol,
    refused_gtins,
)
from maintenance.web.access import role_required

bp = Blueprint("manufacturer", __name__, url_prefix="/manufacturer")


def _submitted_source() -> tuple[str, str]:
    """The protocol text from the uploaded file, else from the text area, with its name."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read().decode("utf-8", errors="replace"), upload.filename
    return request.form.get("source", ""), "protocol.yaml"


@bp.get("/")
@role_required("manufacturer")
def index() -> str:
    """Own protocols and models (an admin sees all), and the upload form."""
    organisation_id = None if current_user.is_admin else current_user.organisation_id
    return render_template(
        "manufacturer/index.html",
        protocols=protocols_of(organisation_id),
        models=models_of(organisation_id),
    )


@bp.post("/protocols/check")
@role_required("manufacturer")
def check() -> tuple[str, int] | str:
    """Validate an upload: errors beside their lines, or a preview with a publish button."""
    source, filename = _submitted_source()
    try:
        document = load_protocol(source.encode("utf-8"), filename=filename)
    except ProtocolInvalid as exc:
        return _errors_page(exc.errors, source, filename), 422
    # GTINs it may not publish for are shown beside their lines before anything is published.
    refused = [] if current_user.is_admin else refused_gtins(document, current_user.organisation)
    if refused:
        return _errors_page(refused, source, filename), 403
    return render_template("manufacturer/preview.html", document=document, source=source)


def _errors_page(errors: list[ProtocolError], source: str, filename: str) -> str:
    """The source with every error beside its line."""
    by_line: dict[int | None, list[str]] = {}
    for error in errors:
        by_line.setdefault(error.line, []).append(f"{error.path}: {error.message}")
    return render_template(
        "manufacturer/errors.html",
        errors=errors,
        lines=source.splitlines(),
        by_line=by_line,
        filename=filename,
    )


@bp.post("/protocols/publish")
@role_required("manufacturer")
def publish() -> Response | tuple[str, int]:
    """Publish the previewed protocol (validated again: the form could have been changed)."""
    source = request.form.get("source", "")
    try:
        document = load_protocol(source.encode("utf-8"), filename="protocol.yaml")
        result = publish_protocol(document, user=current_user._get_current_object())
    except ProtocolInvalid:
        flash(_("The protocol has errors; check it again."), "error")
        return redirect(url_for("manufacturer.index"))
    except PublishRefused as exc:
        return render_template("errors/error.html", status=403, message=str(exc)), 403
    except PublishConflict as exc:
        return render_template("errors/error.html", status=409, message=str(exc)), 409
    if result.created:
        flash(_("Published version %(number)s.", number=result.version.number), "ok")
    else:
        flash(_("Nothing changed: this is the version in force."), "ok")
    return redirect(url_for("public.protocol_version", version_id=result.version.id))
