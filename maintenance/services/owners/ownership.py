"""Which units an owner has: add one once confirmed, end the tie, count a unit's owners."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Owner, Ownership, Reminder, Unit
from maintenance.services.events import record_event
from maintenance.services.notices.fanout import queue_for_new_owner
from maintenance.services.owners.contacts import OwnerError, check_role, is_confirmed
from maintenance.services.schedules.plan import ensure_schedules, wake_owner


def active_ownerships(owner: Owner) -> list[Ownership]:
    """The owner's current ties to units, oldest first."""
    return list(
        db.session.scalars(
            select(Ownership)
            .where(Ownership.owner_id == owner.id, Ownership.ended_at.is_(None))
            .order_by(Ownership.started_at, Ownership.id)
        )
    )


def owned_unit(owner: Owner, unit_id: int) -> Unit | None:
    """The unit if the owner currently owns it."""
    return db.session.scalar(
        select(Unit)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Unit.id == unit_id, Ownership.owner_id == owner.id, Ownership.ended_at.is_(None))
    )


@transactional
def add_unit(owner: Owner, unit: Unit, now: datetime, role: str = "owner") -> Ownership:
    """Tie a confirmed owner to a unit; other owners of the unit stay as they are."""
    check_role(role)
    if not is_confirmed(owner):
        raise OwnerError(_("Please confirm your address first."))
    for ownership in active_ownerships(owner):
        if ownership.unit_id == unit.id:
            return ownership
    ownership = Ownership(owner=owner, unit=unit, role=role, started_at=now)
    db.session.add(ownership)
    record_event("confirmed", unit=unit, at=now, channel=owner.channel)
    ensure_schedules(unit, now.date())
    db.session.flush()
    wake_owner(owner.id)  # the unit's schedules may already be past their reminder
    queue_for_new_owner(unit.id, unit.gtin, unit.serial, unit.sold_on, now)  # open recalls
    return ownership


def drop_pending_reminders(owner_id: int, unit_id: int | None) -> None:
    """Cancel the owner's future reminders (for one unit, or all), leaving sent ones as history."""
    pending = db.session.scalars(
        select(Reminder).where(Reminder.owner_id == owner_id, Reminder.status == "pending")
    ).all()
    for reminder in pending:
        if unit_id is not None and reminder.kind == "notice":
            continue  # a recall still reaches someone who owned an affected unit
        if unit_id is not None:
            for item in list(reminder.items):
                if item.schedule.unit_id == unit_id:
                    reminder.items.remove(item)
            if reminder.items:
                continue
        reminder.status = "cancelled"


@transactional
def end_ownership(owner: Owner, unit: Unit, now: datetime) -> bool:
    """End the owner's own tie to a unit (the unit and its history stay); False if none."""
    ended = False
    for ownership in active_ownerships(owner):
        if ownership.unit_id == unit.id:
            ownership.ended_at = now
            ended = True
    if ended:
        drop_pending_reminders(owner.id, unit.id)
        record_event("ownership_ended", unit=unit, at=now)
    return ended


def owners_of(unit: Unit) -> int:
    """How many people currently own a unit (no names: owners never see each other)."""
    return len(
        db.session.scalars(
            select(Ownership.id).where(Ownership.unit_id == unit.id, Ownership.ended_at.is_(None))
        ).all()
    )
