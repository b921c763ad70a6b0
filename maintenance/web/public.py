"""Public pages: the start page and protocol pages (no login)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from maintenance.i18n import LANGUAGES, current_language
from maintenance.models import ProtocolVersion
from maintenance.services.catalog import find_version
from maintenance.services.protocols.howto import howto_jsonld

bp = Blueprint("public", __name__)


def jsonld_script(data: dict) -> Markup:
    """JSON-LD in a script element, escaped so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(f'<script type="application/ld+json">{text}</script>')


def render_protocol(version: ProtocolVersion, **context: object) -> str:
    """The protocol page of one version, with its HowTo JSON-LD."""
    language = current_language()
    jsonld = jsonld_script(howto_jsonld(version, language, request.base_url))
    return render_template("public/protocol.html", version=version, jsonld=jsonld, **context)


@bp.get("/")
def index() -> str:
    """What the service is, for someone who typed the address by hand."""
    return render_template("public/index.html")


@bp.get("/protocols/v/<int:version_id>")
def protocol_version(version_id: int) -> str:
    """One published protocol version, kept readable forever for history links."""
    version = find_version(version_id)
    if version is None:
        abort(404)
    return render_protocol(version)


def _local_path(target: str) -> bool:
    """A path on this site; browsers read "/\\host" and "/<tab>/host" as "//host", another site."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    )


@bp.get("/language/<language>")
def set_language(language: str) -> Response:
    """Remember the chosen language in a cookie and go back."""
    if language not in LANGUAGES:
        abort(404)
    target = request.args.get("next", "/")
    if not _local_path(target):
        target = url_for("public.index")
    response = make_response(redirect(target))
    response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
