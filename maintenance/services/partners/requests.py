"""Service requests: an owner asks a partner for a visit; the partner accepts, declines or
marks the task done, which logs it through the same path as the owner marking it done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from maintenance.clock import service_date
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Organisation,
    Owner,
    ProductModel,
    ServiceRequest,
    Unit,
)
from maintenance.models._base import utcnow
from maintenance.models.partner import OPEN_STATES
from maintenance.services.catalog import task_titles_by_version, version_in_force_id
from maintenance.services.owners.ownership import owned_unit
from maintenance.services.partners.matching import partner_for
from maintenance.services.partners.profiles import PartnerError, parse_postcode
from maintenance.services.schedules.plan import current_version
from maintenance.services.schedules.records import record_done
from maintenance.services.webhooks import service_request_created, service_request_withdrawn

# The version of the consent text the request form shows; stored with each request.
CONSENT_TEXT = "service-request/1"
MAX_NOTE = 2000
MAX_SHORT = 200


class RequestError(PartnerError):
    """A request or a partner's answer that cannot be taken; `field` names where."""


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise RequestError(field, _("this is required"))
    if len(cleaned) > limit:
        raise RequestError(field, _("at most %(limit)s characters", limit=limit))
    return cleaned or None


def task_keys(unit: Unit) -> list[str]:
    """The uniform task ids of the protocol version in force for the unit."""
    version = current_version(unit)
    return [task.key for task in version.tasks] if version is not None else []


def task_title(unit: Unit, task_key: str) -> Mapping[str, str]:
    """A task's title per language in the unit's protocol version in force ({} if it has none)."""
    version = current_version(unit)
    for task in version.tasks if version is not None else []:
        if task.key == task_key:
            return task.spec.get("title") or {}
    return {}


@transactional
def create_request(
    owner: Owner,
    unit_id: int,
    task_key: str,
    *,
    partner_id: int,
    postcode: str,
    consent: bool,
    now: datetime,
    preferred_days: str | None = None,
    note: str | None = None,
    remember_postcode: bool = False,
) -> ServiceRequest:
    """Store a request to one partner, sharing the owner's contact only with explicit consent.

    The postcode is kept on the owner for next time only when they ticked `remember_postcode`.
    """
    unit = owned_unit(owner, unit_id)
    if unit is None:
        raise RequestError("unit", _("this is not one of your appliances"))
    if task_key not in task_keys(unit):
        raise RequestError("task", _("this appliance has no task %(task)s", task=task_key))
    if not consent:
        raise RequestError("consent", _("tick the box to share your contact with this partner"))
    place = parse_postcode(postcode)
    try:
        match = partner_for(unit, task_key, place, partner_id)
    except LookupError:
        raise RequestError("partner", _("this partner does not cover your postcode")) from None
    if match.profile.booking_mode != "request":
        raise RequestError("partner", _("book this partner on its own website or by phone"))
    request = ServiceRequest(
        partner_id=partner_id,
        unit_id=unit.id,
        owner_id=owner.id,
        task_key=task_key,
        status="open",
        contact_email=owner.email if owner.email_verified_at else None,
        contact_phone=owner.phone if owner.phone_verified_at else None,
        postcode=postcode.strip().upper(),
        preferred_days=_text(preferred_days, "preferred_days", MAX_SHORT),
        note=_text(note, "note", MAX_NOTE),
        consent_text=CONSENT_TEXT,
        consented_at=now,
        created_at=now,
        created_on=service_date(now),
    )
    if remember_postcode:
        owner.postcode = request.postcode
    db.session.add(request)
    db.session.flush()
    service_request_created(request)
    return request


def requests_for_partner(partner: Organisation) -> list[ServiceRequest]:
    """A partner's requests for its inbox, open ones first, newest first, with their units."""
    query = (
        select(ServiceRequest)
        .where(ServiceRequest.partner_id == partner.id)
        .options(selectinload(ServiceRequest.unit).selectinload(Unit.product_model))
    )
    rows = db.session.scalars(query.order_by(ServiceRequest.id.desc())).all()
    return sorted(rows, key=lambda row: row.status not in OPEN_STATES)


def task_titles(rows: Sequence[ServiceRequest]) -> dict[int, Mapping[str, str]]:
    """Each request's task title per language, by request id, in two queries for any number."""
    model_ids = {row.unit.product_model_id for row in rows}
    in_force: dict[int, int | None] = dict(
        db.session.execute(
            select(ProductModel.id, version_in_force_id()).where(ProductModel.id.in_(model_ids))
        )
        .tuples()
        .all()
    )
    titles = task_titles_by_version({version for version in in_force.values() if version})
    found: dict[int, Mapping[str, str]] = {}
    for row in rows:
        version = in_force.get(row.unit.product_model_id)
        found[row.id] = titles.get((version, row.task_key), {}) if version else {}
    return found


def requests_page(
    partner: Organisation, limit: int, below: int | None, status: str | None
) -> list[ServiceRequest]:
    """Up to `limit` of a partner's requests, newest first, with ids below `below` (the API)."""
    query = select(ServiceRequest).where(ServiceRequest.partner_id == partner.id)
    if below is not None:
        query = query.where(ServiceRequest.id < below)
    if status is not None:
        query = query.where(ServiceRequest.status == status)
    return list(db.session.scalars(query.order_by(ServiceRequest.id.desc()).limit(limit)))


def request_of(partner: Organisation, request_id: int) -> ServiceRequest | None:
    """One request of this partner (None for another partner's)."""
    row = db.session.get(ServiceRequest, request_id)
    return row if row is not None and row.partner_id == partner.id else None


def requests_of_owner(owner: Owner) -> list[ServiceRequest]:
    """The owner's requests, newest first."""
    return list(
        db.session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.owner_id == owner.id)
            .order_by(ServiceRequest.id.desc())
        )
    )


def _require(request: ServiceRequest, *states: str) -> None:
    if request.status not in states:
        raise RequestError(
            "status",
            _("this request can no longer be answered (%(status)s)", status=request.status),
        )


@transactional
def accept_request(request: ServiceRequest, proposed_time: str, now: datetime) -> None:
    """The partner takes the request and proposes a time for the visit."""
    _require(request, "open", "accepted")
    request.proposed_time = _text(proposed_time, "proposed_time", MAX_SHORT, required=True)
    request.status, request.accepted_at = "accepted", request.accepted_at or now


@transactional
def decline_request(request: ServiceRequest, reason: str, now: datetime) -> None:
    """The partner cannot come, and says why."""
    _require(request, "open", "accepted")
    request.decline_reason = _text(reason, "reason", 500, required=True)
    request.status, request.closed_at = "declined", now


@transactional
def complete_request(
    request: ServiceRequest, done_on: date, note: str | None, now: datetime
) -> MaintenanceLog:
    """After the visit: log the task done by the partner; its schedule moves as usual."""
    _require(request, "open", "accepted")
    # The partner's today is the service zone's: at 00:30 in Amsterdam it is still yesterday in UTC.
    if done_on > service_date(now):
        raise RequestError("done_on", _("the visit date cannot be in the future"))
    if done_on < request.created_on:
        raise RequestError("done_on", _("the visit date is before the request was made"))
    cleaned = _text(note, "note", MAX_NOTE)
    recorded = record_done(
        request.unit,
        request.task_key,
        done_on,
        source="partner",
        note=cleaned,
        partner_id=request.partner_id,
    )
    request.status, request.closed_at = "done", now
    request.done_on, request.done_note, request.log_id = done_on, cleaned, recorded.log.id
    return recorded.log


def erase_owner_requests(owner_ids: list[int]) -> None:
    """For "delete me": withdraw open requests and erase the contact from every request."""
    mine = ServiceRequest.owner_id.in_(owner_ids)
    still_open = db.session.scalars(
        select(ServiceRequest).where(mine, ServiceRequest.status.in_(OPEN_STATES))
    ).all()
    service_request_withdrawn(still_open)
    db.session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id.in_([row.id for row in still_open]))
        .values(status="withdrawn", closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    # The partner keeps what it did (unit, task, dates), not who asked.
    db.session.execute(
        update(ServiceRequest)
        .where(mine)
        .values(owner_id=None, contact_email=None, contact_phone=None, postcode=None, note=None)
        .execution_options(synchronize_session=False)
    )


def export_requests(owner: Owner) -> list[dict[str, Any]]:
    """The owner's requests as in their data export."""
    return [
        {
            "partner": row.partner.name,
            "unit": {"gtin": row.unit.gtin, "serial": row.unit.serial},
            "task": row.task_key,
            "status": row.status,
            "shared": {"email": row.contact_email, "phone": row.contact_phone},
            "postcode": row.postcode,
            "preferred_days": row.preferred_days,
            "note": row.note,
            "consent": {"text_version": row.consent_text, "given_at": row.consented_at.isoformat()},
            "proposed_time": row.proposed_time,
            "decline_reason": row.decline_reason,
            "done_on": row.done_on.isoformat() if row.done_on else None,
            "messages_stopped_at": (
                row.owner_stopped_at.isoformat() if row.owner_stopped_at else None
            ),
        }
        for row in requests_of_owner(owner)
    ]
