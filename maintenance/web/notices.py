"""Manufacturer pages for notices: draft (serials, texts in nl and en), dry run, send, follow."""

# The form is turned into the same body the API takes (services/notices), so both are checked by
# one set of rules; errors are shown beside their fields and nothing is stored while any exists.

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import local_today, now_utc
from maintenance.extensions import db
from maintenance.i18n import LANGUAGES, current_language
from maintenance.models import Notice, ProductModel, User
from maintenance.services.figures.charts import chart_for
from maintenance.services.notices import authoring, figures
from maintenance.services.notices.selection import Selection
from maintenance.services.notices.texts import (
    CONTACT_FIELDS,
    FIELD_LABELS,
    REMEDIES,
    TEXT_FIELDS,
    NoticeInvalid,
    Problem,
)
from maintenance.web.access import role_required
from maintenance.web.notice_pages import shown

bp = Blueprint("notices", __name__, url_prefix="/manufacturer/notices")


def _user() -> User:
    return current_user._get_current_object()


def _own_models() -> list[ProductModel]:
    query = select(ProductModel).order_by(ProductModel.brand, ProductModel.name)
    if not current_user.is_admin:
        query = query.where(ProductModel.organisation_id == current_user.organisation_id)
    return list(db.session.scalars(query))


def _notice(notice_id: int) -> Notice:
    try:
        return authoring.get_notice_for(_user(), notice_id)
    except authoring.NoticeNotFound:
        abort(404)


def _serial_ranges(text: str) -> list[list[str]]:
    """Lines "FIRST LAST" or "FIRST - LAST" as [first, last] (a lone serial as [it, it])."""
    ranges = []
    for line in text.splitlines():
        words = [word for word in line.replace(",", " ").split() if word not in ("-", "to", "tot")]
        if words:
            ranges.append(words if len(words) != 1 else [words[0], words[0]])
    return ranges


def body_from_form(form: Any) -> dict[str, Any]:
    """The API body the notice form describes."""
    return {
        "kind": form.get("kind", ""),
        "reference": form.get("reference", ""),
        "urgent": form.get("urgent") == "on",
        "gtins": form.getlist("gtins"),
        "serials": {
            "ranges": _serial_ranges(form.get("serial_ranges", "")),
            "list": form.get("serial_list", "").replace(",", " ").split(),
        },
        "sold_from": form.get("sold_from") or None,
        "sold_until": form.get("sold_until") or None,
        "texts": {
            language: {name: form.get(f"{language}_{name}", "") for name in TEXT_FIELDS}
            for language in LANGUAGES
        },
        "picture_url": form.get("picture_url") or None,
        "remedies": form.getlist("remedies"),
        "contact": {name: form.get(f"contact_{name}", "") for name in CONTACT_FIELDS},
    }


def form_from_notice(notice: Notice) -> dict[str, Any]:
    """The form's values for a stored notice (to edit a draft or write an update)."""
    version = notice.current
    values: dict[str, Any] = {
        "kind": notice.kind,
        "reference": notice.reference,
        "urgent": notice.urgent,
        "gtins": [row.gtin for row in notice.gtins],
        "serial_ranges": "\n".join(f"{a} {b}" for a, b in notice.serials.get("ranges", [])),
        "serial_list": " ".join(notice.serials.get("list", [])),
        "sold_from": notice.sold_from.isoformat() if notice.sold_from else "",
        "sold_until": notice.sold_until.isoformat() if notice.sold_until else "",
        "picture_url": version.picture_url or "",
        "remedies": list(version.remedies),
    }
    for language in LANGUAGES:
        for name in TEXT_FIELDS:
            values[f"{language}_{name}"] = version.texts.get(language, {}).get(name, "")
    for name in CONTACT_FIELDS:
        values[f"contact_{name}"] = version.contact.get(name, "")
    return values


def _errors_by_field(problems: list[Problem]) -> dict[str, list[str]]:
    """Problems by form field name (texts.nl.hazard is the field nl_hazard)."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        path = problem.path
        if path.startswith("texts."):
            parts = path.split(".")
            key = "_".join(parts[1:3]) if len(parts) >= 3 else "texts"
        elif path.startswith("contact."):
            key = "contact_" + path.split(".", 1)[1]
        elif path.startswith("serials.ranges"):
            key = "serial_ranges"
        elif path.startswith("serials.list"):
            key = "serial_list"
        else:
            key = path.split("[", 1)[0]
        found.setdefault(key, []).append(problem.message)
    return found


def _form(values: dict[str, Any], notice: Notice | None, problems: list[Problem]) -> str:
    return render_template(
        "notices/form.html",
        values=values,
        notice=notice,
        models=_own_models(),
        errors=_errors_by_field(problems),
        problems=problems,
        languages=LANGUAGES,
        text_fields=TEXT_FIELDS,
        labels=FIELD_LABELS,
        remedies=REMEDIES,
    )


@bp.get("/")
@role_required("manufacturer")
def index() -> str:
    """The organisation's notices, newest first."""
    return render_template("notices/index.html", notices=authoring.notices_for(_user()))


@bp.route("/new", methods=["GET", "POST"])
@role_required("manufacturer")
def new() -> BaseResponse | str | tuple[str, int]:
    """Draft a notice: the form, then the draft's page with its dry run."""
    if request.method == "GET":
        return _form({"kind": "recall", "remedies": ["repair"]}, None, [])
    try:
        given = authoring.read_notice(body_from_form(request.form), _user())
    except NoticeInvalid as exc:
        return _form(_flat(request.form), None, exc.problems), 422
    notice = authoring.create_notice(given, _user(), now_utc())
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


def _flat(form: Any) -> dict[str, Any]:
    """The submitted values for redisplay: lists where a field has several, else the text."""
    return {
        key: form.getlist(key) if key in ("gtins", "remedies") else form.get(key) for key in form
    }


@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@role_required("manufacturer")
def edit(notice_id: int) -> BaseResponse | str | tuple[str, int]:
    """Change a draft (a sent notice gets a new version instead)."""
    notice = _notice(notice_id)
    if notice.status != "draft":
        abort(409)
    if request.method == "GET":
        return _form(form_from_notice(notice), notice, [])
    try:
        given = authoring.read_notice(body_from_form(request.form), _user())
        authoring.update_draft(notice, given, _user())
    except NoticeInvalid as exc:
        return _form(_flat(request.form), notice, exc.problems), 422
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


@bp.get("/<int:notice_id>")
@role_required("manufacturer")
def show(notice_id: int) -> str:
    """A notice: its texts, the dry run while a draft, then its figures and updates."""
    notice = _notice(notice_id)
    context: dict[str, Any] = {"notice": notice, "shown": shown(notice, current_language())}
    if notice.status == "draft":
        context["counts"] = authoring.dry_run(Selection.of(notice))
    else:
        numbers = figures.notice_figures(notice)
        tables = [
            figures.summary_table(numbers),
            figures.daily_table(notice, local_today(None, now_utc())),
        ]
        context.update(numbers=numbers, tables=tables, charts={t.key: chart_for(t) for t in tables})
        context["update_values"] = form_from_notice(notice)
    return render_template(
        "notices/show.html",
        languages=LANGUAGES,
        text_fields=TEXT_FIELDS,
        labels=FIELD_LABELS,
        remedies=REMEDIES,
        errors={},
        **context,
    )


@bp.post("/<int:notice_id>/send")
@role_required("manufacturer")
def send(notice_id: int) -> BaseResponse:
    """Send a draft to every reachable owner of its units."""
    notice = _notice(notice_id)
    try:
        result = authoring.send_notice(notice, _user(), now_utc())
    except authoring.NoticeConflict as exc:
        flash(str(exc), "error")
    else:
        flash(_("Sent: %(count)s messages are on their way.", count=result.messages), "ok")
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/versions")
@role_required("manufacturer")
def add_version(notice_id: int) -> BaseResponse | tuple[str, int]:
    """Publish an update: a new version to the same owners."""
    notice = _notice(notice_id)
    body = body_from_form(request.form)
    try:
        version = authoring.add_version(notice, body, _user(), now_utc())
    except NoticeInvalid as exc:
        return _form(_flat(request.form), notice, exc.problems), 422
    except authoring.NoticeConflict as exc:
        flash(str(exc), "error")
    else:
        flash(_("Version %(number)s is on its way as an update.", number=version.number), "ok")
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/close")
@role_required("manufacturer")
def close(notice_id: int) -> BaseResponse:
    """Close a notice: off the unit pages, no longer sent to new owners."""
    notice = _notice(notice_id)
    try:
        authoring.close_notice(notice, _user(), now_utc())
    except authoring.NoticeConflict as exc:
        flash(str(exc), "error")
    return redirect(url_for("notices.show", notice_id=notice.id), code=303)


@bp.get("/<int:notice_id>/summary.csv")
@role_required("manufacturer")
def summary_csv(notice_id: int) -> Response:
    """The notice's figures as CSV, small counts hidden as on the page."""
    notice = _notice(notice_id)
    table = figures.summary_table(figures.notice_figures(notice))
    return _csv(table.to_csv(), f"notice-{notice.id}-summary.csv")


@bp.get("/<int:notice_id>/per-day.csv")
@role_required("manufacturer")
def per_day_csv(notice_id: int) -> Response:
    """The notice's figures per day as CSV, small counts hidden as on the page."""
    notice = _notice(notice_id)
    table = figures.daily_table(notice, local_today(None, now_utc()))
    return _csv(table.to_csv(), f"notice-{notice.id}-per-day.csv")


@bp.get("/<int:notice_id>/serials.csv")
@role_required("manufacturer")
def serials_csv(notice_id: int) -> Response:
    """The affected serials with their status; no personal data."""
    notice = _notice(notice_id)
    return _csv(figures.serials_csv(notice), f"notice-{notice.id}-serials.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
