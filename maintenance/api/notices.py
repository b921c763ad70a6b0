"""POST /api/v1/notices (?dry_run=true), GET /api/v1/notices/<id>, POST .../versions."""

# A manufacturer's PIM or recall system sends a notice the way its safety officer would in the web
# page: a dry run first, then the real thing. Errors are located like protocol errors.

from __future__ import annotations

from typing import Any

from flask import request

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.clock import now_utc
from maintenance.models import Notice
from maintenance.services.notices import authoring
from maintenance.services.notices.figures import notice_figures
from maintenance.services.notices.texts import NoticeInvalid
from maintenance.web.errors import ApiError
from maintenance.web.notice_pages import public_url


def _body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # deeply nested JSON is not a notice; answer 422, not 500
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            422, "the body must be a JSON object", [{"path": "", "message": "not a JSON object"}]
        )
    return body


def _invalid(exc: NoticeInvalid) -> ApiError:
    return ApiError(422, "the notice has errors", [p.as_detail() for p in exc.problems])


def _dry_run_wanted() -> bool:
    value = request.args.get("dry_run", "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise ApiError(
            422, "the request has errors", [{"path": "dry_run", "message": "true or false"}]
        )
    return value in ("true", "1")


def notice_json(notice: Notice) -> dict[str, Any]:
    """The API shape of a notice: what it is, its versions and its figures."""
    return {
        "id": notice.id,
        "kind": notice.kind,
        "reference": notice.reference,
        "urgent": notice.urgent,
        "status": notice.status,
        "gtins": [row.gtin for row in notice.gtins],
        "serials": notice.serials or {"ranges": [], "list": []},
        "sold_from": notice.sold_from.isoformat() if notice.sold_from else None,
        "sold_until": notice.sold_until.isoformat() if notice.sold_until else None,
        "sent_at": notice.sent_at.isoformat() if notice.sent_at else None,
        "closed_at": notice.closed_at.isoformat() if notice.closed_at else None,
        "url": public_url(notice),
        "versions": [
            {
                "number": v.number,
                "texts": v.texts,
                "picture_url": v.picture_url,
                "remedies": v.remedies,
                "contact": v.contact,
                "sent_at": v.sent_at.isoformat() if v.sent_at else None,
            }
            for v in notice.versions
        ],
        "figures": notice_figures(notice).as_json(),
    }


def _notice_or_404(notice_id: int) -> Notice:
    try:
        return authoring.get_notice_for(api_user(), notice_id)
    except authoring.NoticeNotFound:
        raise ApiError(404, f"there is no notice {notice_id}") from None


@api.post("/notices")
@token_required("manufacturer")
def create_notice_api() -> tuple[dict, int]:
    """Check a notice; with ?dry_run=true say who it would reach, else store and send it."""
    dry_run = _dry_run_wanted()
    try:
        given = authoring.read_notice(_body(), api_user())
    except NoticeInvalid as exc:
        raise _invalid(exc) from None
    if dry_run:
        return {"dry_run": authoring.dry_run(given.selection).as_json()}, 200
    now = now_utc()
    notice = authoring.create_notice(given, api_user(), now)
    authoring.send_notice(notice, api_user(), now)
    return notice_json(notice), 201


@api.get("/notices/<int:notice_id>")
@token_required("manufacturer")
def get_notice_api(notice_id: int) -> dict:
    """One of the caller's notices with its figures."""
    return notice_json(_notice_or_404(notice_id))


@api.post("/notices/<int:notice_id>/versions")
@token_required("manufacturer")
def add_version_api(notice_id: int) -> tuple[dict, int]:
    """A new version of a sent notice, sent to the same owners as an update."""
    notice = _notice_or_404(notice_id)
    body = _body()
    try:
        authoring.add_version(notice, body, api_user(), now_utc())
    except NoticeInvalid as exc:
        raise _invalid(exc) from None
    except authoring.NoticeConflict as exc:
        raise ApiError(409, str(exc)) from None
    return notice_json(notice), 201
