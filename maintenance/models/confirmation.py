"""Pending confirmations: the double opt-in link or code, and magic-link / SMS-code logins."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.owner import Owner


def new_handle() -> str:
    """A fresh random handle: 32 hex digits (also the decoy for a login nobody can receive)."""
    return secrets.token_hex(16)


class Confirmation(Model):
    """One link or code sent to an owner; only its hash is stored, and it works once."""

    __tablename__ = "confirmation"
    # AUTOINCREMENT: the id is in email links; SQLite must never hand it out twice.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random name of this confirmation in the browser's session while it waits for a code;
    # not the id, so the session cookie of a login for an unknown address looks the same.
    handle: Mapped[str] = mapped_column(String(32), unique=True, default=new_handle)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    # "signup" (double opt-in, adds the unit when confirmed) or "login".
    purpose: Mapped[str] = mapped_column(String(10))
    # "email" (signed link) or "sms" (6-digit code).
    channel: Mapped[str] = mapped_column(String(10))
    secret_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    # The unit to add once confirmed, and the tie to it ("owner", "household", "second-hand").
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    owner: Mapped[Owner] = relationship()
