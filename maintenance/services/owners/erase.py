"""Erasing owners: on request, and sign-ups nobody confirmed within a week."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    Confirmation,
    Consent,
    DeliveryEvent,
    MaintenanceLog,
    Owner,
    Ownership,
    Reminder,
    ReminderItem,
)
from maintenance.services.partners.requests import erase_owner_requests

UNCONFIRMED_DAYS = 7


def _erase(owner_ids: list[int]) -> None:
    """Delete owners and every row about them; their maintenance logs stay, anonymous."""
    if not owner_ids:
        return
    reminder_ids = select(Reminder.id).where(Reminder.owner_id.in_(owner_ids))
    # Reminders, their items and delivery events may hold addresses and message ids.
    db.session.execute(delete(DeliveryEvent).where(DeliveryEvent.reminder_id.in_(reminder_ids)))
    db.session.execute(delete(ReminderItem).where(ReminderItem.reminder_id.in_(reminder_ids)))
    db.session.execute(delete(Reminder).where(Reminder.owner_id.in_(owner_ids)))
    db.session.execute(delete(Confirmation).where(Confirmation.owner_id.in_(owner_ids)))
    db.session.execute(delete(Consent).where(Consent.owner_id.in_(owner_ids)))
    db.session.execute(delete(Ownership).where(Ownership.owner_id.in_(owner_ids)))
    erase_owner_requests(owner_ids)
    # Notes are free text a person wrote: they go too; dates and tasks stay for the unit.
    db.session.execute(
        update(MaintenanceLog)
        .where(MaintenanceLog.owner_id.in_(owner_ids))
        .values(owner_id=None, note=None)
    )
    db.session.execute(delete(Owner).where(Owner.id.in_(owner_ids)))
    db.session.expire_all()


@transactional
def delete_owner(owner: Owner) -> None:
    """Erase an owner: contact data, consents, ownerships and future reminders; history stays."""
    _erase([owner.id])


@transactional
def purge_unconfirmed(now: datetime) -> int:
    """Delete sign-ups never confirmed within 7 days, and stale confirmations; returns owners."""
    cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
    stale = list(
        db.session.scalars(
            select(Owner.id).where(
                Owner.email_verified_at.is_(None),
                Owner.phone_verified_at.is_(None),
                Owner.created_at < cutoff,
            )
        )
    )
    _erase(stale)
    db.session.execute(
        delete(Confirmation).where(
            or_(Confirmation.expires_at < cutoff, Confirmation.used_at < cutoff)
        )
    )
    return len(stale)
