"""Everything stored about an owner, as one JSON document they can download."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Consent, MaintenanceLog, Owner, Ownership, Reminder, TaskSchedule
from maintenance.services.partners.requests import export_requests


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_data(owner: Owner) -> dict[str, Any]:
    """Everything stored about the owner, as JSON-ready data."""
    ownerships = db.session.scalars(
        select(Ownership).where(Ownership.owner_id == owner.id).order_by(Ownership.id)
    ).all()
    units = []
    for ownership in ownerships:
        unit = ownership.unit
        schedules = db.session.scalars(
            select(TaskSchedule).where(TaskSchedule.unit_id == unit.id).order_by(TaskSchedule.id)
        ).all()
        logs = db.session.scalars(
            select(MaintenanceLog)
            .where(MaintenanceLog.unit_id == unit.id, MaintenanceLog.owner_id == owner.id)
            .order_by(MaintenanceLog.done_on, MaintenanceLog.id)
        ).all()
        units.append(
            {
                "gtin": unit.gtin,
                "serial": unit.serial,
                "unit_code": unit.unit_code,
                "brand": unit.product_model.brand,
                "model": unit.product_model.name,
                "role": ownership.role,
                "from": _iso(ownership.started_at),
                "until": _iso(ownership.ended_at),
                "schedule": [
                    {
                        "task": row.task_key,
                        "next_due": _iso(row.next_due),
                        "snoozed_until": _iso(row.snoozed_until),
                        "last_done_on": _iso(row.last_done_on),
                    }
                    for row in schedules
                ],
                "my_log": [
                    {
                        "task": log.task_key,
                        "action": log.action,
                        "on": _iso(log.done_on),
                        "note": log.note,
                        "source": log.source,
                    }
                    for log in logs
                ],
            }
        )
    consents = db.session.scalars(
        select(Consent).where(Consent.owner_id == owner.id).order_by(Consent.id)
    ).all()
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.owner_id == owner.id).order_by(Reminder.id)
    ).all()
    return {
        "format": "maintenance-owner-export/1",
        "owner": {
            "email": owner.email,
            "phone": owner.phone,
            "email_confirmed_at": _iso(owner.email_verified_at),
            "phone_confirmed_at": _iso(owner.phone_verified_at),
            "channel": owner.channel,
            "language": owner.language,
            "time_zone": owner.time_zone,
            "preferred_hour": owner.preferred_hour,
            "digest": owner.digest,
            "paused": owner.paused,
            "calendar_feed": owner.calendar_token is not None,
            "postcode": owner.postcode,
            "created_at": _iso(owner.created_at),
        },
        "consents": [
            {
                "channel": consent.channel,
                "text_version": consent.text_version,
                "source": consent.source,
                "given_at": _iso(consent.given_at),
                "withdrawn_at": _iso(consent.withdrawn_at),
            }
            for consent in consents
        ],
        "units": units,
        "service_requests": export_requests(owner),
        "messages": [
            {
                "channel": reminder.channel,
                "kind": reminder.kind,
                "send_on": _iso(reminder.send_on),
                "status": reminder.status,
                "sent_at": _iso(reminder.sent_at),
            }
            for reminder in reminders
        ],
    }
