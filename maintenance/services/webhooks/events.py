"""The events an organisation's endpoint receives: what happened, never who (no personal data)."""

# Each is queued in the caller's transaction, so an event exists exactly when its change does,
# and sent later by the delivery job (delivery.py).

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import distinct, func, select

from maintenance.clock import now_utc
from maintenance.extensions import db
from maintenance.models import (
    Organisation,
    PartnerProfile,
    Protocol,
    ServiceRequest,
    TaskSchedule,
    Unit,
    WebhookDelivery,
)
from maintenance.services.webhooks.endpoints import endpoint_of

# Which events reach which kind of organisation; a partner profile adds the service requests.
_BY_KIND = {
    "retailer": ("unit.registered", "unit.voided"),
    "manufacturer": ("protocol.replanned",),
}
_PARTNER_EVENTS = ("service_request.created", "service_request.withdrawn")


def events_for(organisation: Organisation) -> tuple[str, ...]:
    """The event types this organisation's endpoint can receive."""
    events = _BY_KIND.get(organisation.kind, ())
    if db.session.get(PartnerProfile, organisation.id) is not None:
        events += _PARTNER_EVENTS
    return events


def emit(organisation_id: int | None, event: str, items: Sequence[dict[str, Any]]) -> int:
    """Queue one delivery per item for the organisation's endpoint, if it has one; how many."""
    if organisation_id is None or not items:
        return 0
    endpoint = endpoint_of(organisation_id)
    if endpoint is None:
        return 0
    now = now_utc()
    db.session.add_all(
        WebhookDelivery(
            endpoint_id=endpoint.id,
            message_id="msg_" + secrets.token_hex(16),
            event=event,
            payload={"type": event, "timestamp": now.isoformat(), "data": data},
            next_attempt_at=now,
        )
        for data in items
    )
    return len(items)


def _unit_data(unit: Unit) -> dict[str, Any]:
    code = {"serial": unit.serial} if unit.serial is not None else {"unit_code": unit.unit_code}
    return {"unit_id": unit.id, "gtin": unit.gtin, **code}


def unit_registered(units: Sequence[Unit]) -> None:
    """Tell the shop's endpoint which units it registered (the till, a CSV batch or the API)."""
    at = now_utc().isoformat()
    by_shop: dict[int | None, list[dict[str, Any]]] = {}
    for unit in units:
        by_shop.setdefault(unit.retailer_id, []).append({**_unit_data(unit), "registered_at": at})
    for shop, items in by_shop.items():
        emit(shop, "unit.registered", items)


def unit_voided(unit: Unit) -> None:
    """Tell the shop's endpoint that it withdrew a unit."""
    data = {**_unit_data(unit), "voided_at": now_utc().isoformat()}
    emit(unit.retailer_id, "unit.voided", [data])


def protocol_replanned(protocol_id: int) -> None:
    """Tell the manufacturer that its units now follow the protocol's newest version."""
    protocol = db.session.get(Protocol, protocol_id)
    if protocol is None or protocol.organisation_id is None or not protocol.versions:
        return
    version = protocol.current
    units = db.session.scalar(
        select(func.count(distinct(TaskSchedule.unit_id))).where(
            TaskSchedule.version_id == version.id
        )
    )
    data = {"protocol_id": protocol.id, "version": version.number, "units_replanned": units or 0}
    emit(protocol.organisation_id, "protocol.replanned", [data])


def _request_data(request: ServiceRequest) -> dict[str, Any]:
    # Which request, appliance and task; who asked stays behind the partner's API token.
    return {"request_id": request.id, **_unit_data(request.unit), "task": request.task_key}


def service_request_created(request: ServiceRequest) -> None:
    """Tell the partner's planning system that a request arrived (it fetches it by the API)."""
    data = {**_request_data(request), "created_at": request.created_at.isoformat()}
    emit(request.partner_id, "service_request.created", [data])


def service_request_withdrawn(requests: Sequence[ServiceRequest]) -> None:
    """Tell each partner which of its open requests an owner withdrew (by deleting their data)."""
    at = now_utc().isoformat()
    for request in requests:
        data = {**_request_data(request), "withdrawn_at": at}
        emit(request.partner_id, "service_request.withdrawn", [data])
