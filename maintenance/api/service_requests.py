"""Service requests for a partner's planning system: list, read one, accept, decline, mark done."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.api.pagination import page_json, read_page
from maintenance.api.units import read_json_object
from maintenance.clock import now_utc
from maintenance.extensions import db
from maintenance.models import Organisation, PartnerProfile, ServiceRequest
from maintenance.models.partner import REQUEST_STATES
from maintenance.services.lookups import MAX_ID
from maintenance.services.partners.messages import tell_owner
from maintenance.services.partners.profiles import PartnerError
from maintenance.services.partners.requests import (
    accept_request,
    complete_request,
    decline_request,
    request_of,
    requests_page,
)
from maintenance.web.errors import ApiError


def _partner() -> Organisation:
    organisation = api_user().organisation
    if db.session.get(PartnerProfile, organisation.id) is None:
        raise ApiError(403, "this needs the token of a service partner")
    return organisation


def _invalid(exc: PartnerError) -> ApiError:
    return ApiError(422, "the request has errors", [{"path": exc.field, "message": exc.message}])


@api.get("/service-requests")
@token_required("partner", "retailer")
def list_service_requests() -> dict[str, Any]:
    """The partner's requests, newest first, a page at a time; ?status= narrows them."""
    limit, below = read_page(("status",))
    status = request.args.get("status")
    if status is not None and status not in REQUEST_STATES:
        raise ApiError(
            422,
            "the request has errors",
            [{"path": "status", "message": f"must be one of {', '.join(REQUEST_STATES)}"}],
        )
    rows = requests_page(_partner(), limit + 1, below, status)
    return page_json(rows, limit, ServiceRequest.as_json)


def _own(request_id: int) -> ServiceRequest:
    row = request_of(_partner(), request_id) if request_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, f"there is no service request {request_id}")
    return row


@api.get("/service-requests/<int:request_id>")
@token_required("partner", "retailer")
def get_service_request(request_id: int) -> dict[str, Any]:
    """One request, as a service_request.created webhook names it."""
    return _own(request_id).as_json()


def _answered(row: ServiceRequest) -> dict[str, Any]:
    tell_owner(row)
    return row.as_json()


@api.post("/service-requests/<int:request_id>/accept")
@token_required("partner", "retailer")
def accept_service_request(request_id: int) -> dict[str, Any]:
    """Accept a request with a proposed time."""
    row = _own(request_id)
    body = read_json_object({"proposed_time": str}, required=("proposed_time",))
    try:
        accept_request(row, body["proposed_time"], now_utc())
    except PartnerError as exc:
        raise _invalid(exc) from None
    return _answered(row)


@api.post("/service-requests/<int:request_id>/decline")
@token_required("partner", "retailer")
def decline_service_request(request_id: int) -> dict[str, Any]:
    """Decline a request with a reason."""
    row = _own(request_id)
    body = read_json_object({"reason": str}, required=("reason",))
    try:
        decline_request(row, body["reason"], now_utc())
    except PartnerError as exc:
        raise _invalid(exc) from None
    return _answered(row)


@api.post("/service-requests/<int:request_id>/done")
@token_required("partner", "retailer")
def complete_service_request(request_id: int) -> dict[str, Any]:
    """Mark the task done on the visit date: logged as done by the partner."""
    row = _own(request_id)
    body = read_json_object({"done_on": str, "note": str}, required=("done_on",))
    try:
        done_on = date.fromisoformat(body["done_on"])
    except ValueError:
        raise _invalid(PartnerError("done_on", "must be a date, YYYY-MM-DD")) from None
    try:
        complete_request(row, done_on, body.get("note"), now_utc())
    except PartnerError as exc:
        raise _invalid(exc) from None
    return _answered(row)
