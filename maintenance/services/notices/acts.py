"""What an owner does with a notice: open it, confirm "I have done this", or stop its messages."""

# Each is idempotent: a second tap finds the first one's result and changes nothing.

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    Notice,
    NoticeDelivery,
    NoticeMessage,
    NoticeUnit,
    Owner,
    Ownership,
    Reminder,
    Unit,
)
from maintenance.models.notice import ACTED_CHOICES
from maintenance.services.notices.links import read_token
from maintenance.services.reminders.links import InvalidLink


@dataclass(frozen=True)
class Opened:
    """A delivery as its link opens it: the notice, the owner and their affected units."""

    delivery: NoticeDelivery
    notice: Notice
    owner: Owner | None
    units: list[Unit]


def resolve(token: str) -> Opened:
    """The delivery a link names, or InvalidLink."""
    delivery = db.session.get(NoticeDelivery, read_token(token))
    if delivery is None:
        raise InvalidLink("unknown notice")
    owner = db.session.get(Owner, delivery.owner_id) if delivery.owner_id is not None else None
    units: list[Unit] = []
    if owner is not None:
        units = list(
            db.session.scalars(
                select(Unit)
                .join(NoticeUnit, NoticeUnit.unit_id == Unit.id)
                .join(Ownership, Ownership.unit_id == Unit.id)
                .where(
                    NoticeUnit.notice_id == delivery.notice_id,
                    Ownership.owner_id == owner.id,
                    Ownership.ended_at.is_(None),
                )
                .order_by(Unit.id)
            )
        )
    return Opened(delivery, delivery.notice, owner, units)


@transactional
def mark_opened(opened: Opened, now: datetime) -> None:
    """Count the first time the owner followed a link of the message."""
    if opened.delivery.opened_at is None:
        opened.delivery.opened_at = now


@transactional
def confirm_acted(opened: Opened, how: str, now: datetime) -> bool:
    """Record "I have done this" for the owner and their affected units; False if done before."""
    if how not in ACTED_CHOICES:
        raise ValueError(f"unknown choice {how!r}")
    delivery = opened.delivery
    if delivery.acted_at is not None:
        return False
    delivery.acted_at, delivery.acted_how = now, how
    if delivery.opened_at is None:
        delivery.opened_at = now
    if opened.units:
        db.session.execute(
            update(NoticeUnit)
            .where(
                NoticeUnit.notice_id == delivery.notice_id,
                NoticeUnit.unit_id.in_([unit.id for unit in opened.units]),
                NoticeUnit.acted_at.is_(None),
            )
            .values(acted_at=now, acted_how=how)
            .execution_options(synchronize_session=False)
        )
    return True


@transactional
def stop_messages(opened: Opened, now: datetime) -> bool:
    """No more messages about this notice to this owner (its updates included); False if stopped."""
    delivery = opened.delivery
    if delivery.stopped_at is not None:
        return False
    delivery.stopped_at = now
    waiting = select(NoticeMessage.reminder_id).where(NoticeMessage.delivery_id == delivery.id)
    db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(waiting.scalar_subquery()), Reminder.status == "pending")
        .values(status="cancelled", last_error="owner stopped this notice")
        .execution_options(synchronize_session=False)
    )
    return True
