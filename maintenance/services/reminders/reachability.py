"""Whether an owner can be reached on a channel; suppressing one after a permanent failure."""

from __future__ import annotations

import logging
import typing
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.engine import CursorResult

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Owner, Reminder

logger = logging.getLogger("maintenance.services.reminders")

CHANNELS = ("email", "sms")


class ReachableOwner(Protocol):
    """What reachability reads of an owner: an Owner row, or the dispatcher's plain copy."""

    channel: str
    paused: bool
    email: str | None
    email_verified_at: datetime | None
    email_suppressed_at: datetime | None
    phone: str | None
    phone_verified_at: datetime | None
    phone_suppressed_at: datetime | None


def is_reachable(owner: ReachableOwner, channel: str | None = None) -> bool:
    """Whether reminders may go to this owner on the channel (default: their chosen one)."""
    channel = channel or owner.channel
    if owner.paused:
        return False
    if channel == "email":
        return bool(owner.email and owner.email_verified_at and not owner.email_suppressed_at)
    if channel == "sms":
        return bool(owner.phone and owner.phone_verified_at and not owner.phone_suppressed_at)
    return False


def reachable_clause() -> ColumnElement[bool]:
    """The same rule as is_reachable, for the owner's chosen channel, as SQL."""
    return and_(
        Owner.paused.is_(False),
        or_(
            and_(
                Owner.channel == "email",
                Owner.email.is_not(None),
                Owner.email_verified_at.is_not(None),
                Owner.email_suppressed_at.is_(None),
            ),
            and_(
                Owner.channel == "sms",
                Owner.phone.is_not(None),
                Owner.phone_verified_at.is_not(None),
                Owner.phone_suppressed_at.is_(None),
            ),
        ),
    )


@transactional
def suppress_channel(owner_id: int, channel: str, at: datetime, *, reason: str) -> int:
    """Stop sending to an owner's address or number; cancels its pending reminders (count)."""
    column = "email_suppressed_at" if channel == "email" else "phone_suppressed_at"
    owner_table = Owner.__table__
    db.session.execute(
        update(owner_table)
        .where(owner_table.c.id == owner_id, owner_table.c[column].is_(None))
        .values({column: at})
    )
    cancelled = db.session.execute(
        update(Reminder.__table__)
        .where(
            Reminder.__table__.c.owner_id == owner_id,
            Reminder.__table__.c.channel == channel,
            Reminder.__table__.c.status == "pending",
        )
        .values(status="cancelled", last_error=f"{channel} suppressed: {reason}")
    )
    logger.info("owner %s: %s suppressed (%s)", owner_id, channel, reason)
    # An UPDATE or DELETE gives a CursorResult; Session.execute is typed with the plain Result.
    return typing.cast(CursorResult[Any], cancelled).rowcount or 0
