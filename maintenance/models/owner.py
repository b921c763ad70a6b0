"""Consumers who own units, their ownerships and consent records."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.unit import Unit


class Owner(Model):
    """A consumer reachable by email or SMS; erased on request, keeping anonymous history."""

    __tablename__ = "owner"
    # AUTOINCREMENT: the id is in the session and in signed links; SQLite must never reuse it.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    phone_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A hard bounce, an invalid number or an SMS STOP suppresses that channel.
    email_suppressed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    phone_suppressed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    channel: Mapped[str] = mapped_column(String(10), default="email")
    language: Mapped[str] = mapped_column(String(5), default="nl")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    preferred_hour: Mapped[int] = mapped_column(default=9)
    # True: one digest for all tasks due in a week; False: one message per task.
    digest: Mapped[bool] = mapped_column(default=True)
    paused: Mapped[bool] = mapped_column(default=False)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The postcode for finding a service partner, kept only when the owner ticked to keep it.
    postcode: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Every owner session carries this random value next to the id: a cookie opens only the
    # person it was made for, and erasing the owner erases what any old cookie could match.
    session_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))

    ownerships: Mapped[list[Ownership]] = relationship(back_populates="owner")


class Ownership(Model):
    """An owner's tie to a unit, from registration until they end it."""

    __tablename__ = "ownership"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # "owner", "household" or "second-hand".
    role: Mapped[str] = mapped_column(String(20), default="owner")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    owner: Mapped[Owner] = relationship(back_populates="ownerships")
    unit: Mapped[Unit] = relationship()


class Consent(Model):
    """What an owner agreed to, when, through which channel and which text version."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    text_version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
