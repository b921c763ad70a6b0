"""Whether an owner can be reached on a channel: verified, not suppressed, not paused."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_

from maintenance.models import Owner

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
