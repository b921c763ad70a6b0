"""Safety recalls and service notices: the notice, its immutable versions, the units it affects,
and one delivery per owner with what that owner did about it (GPSR Art. 35 and 36)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.organisation import Organisation

NOTICE_KINDS = ("recall", "service")
NOTICE_STATES = ("draft", "sent", "closed")
# What an owner confirms with "I have done this".
ACTED_CHOICES = ("remedy", "stopped")
# Outbox rows of notices go ahead of maintenance reminders (see reminders/claim.py).
NOTICE_PRIORITY = 1


class Notice(Model):
    """A recall or service notice of a manufacturer for some of its units."""

    __tablename__ = "notice"
    # AUTOINCREMENT: the id is in staff URLs and the API; SQLite must never hand it out twice.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # "recall" (safety, GPSR Art. 36) or "service" (a campaign without a safety reason).
    kind: Mapped[str] = mapped_column(String(10))
    # The manufacturer's own reference, e.g. its Safety Gate or file number.
    reference: Mapped[str] = mapped_column(String(60), default="")
    # Urgent: SMS goes in quiet hours too.
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # The serials affected: {"ranges": [[first, last], ...], "list": [...]}; empty: all.
    serials: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sold_from: Mapped[date | None] = mapped_column(Date)
    sold_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Fan-out cursor: the owners of affected units up to this unit id have their messages
    # queued; it moves on per committed chunk, so a crash resumes where it stopped.
    queued_after_unit_id: Mapped[int] = mapped_column(default=0)
    # Set when every affected unit's owners are queued (the current version's messages).
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    organisation: Mapped[Organisation] = relationship()
    gtins: Mapped[list[NoticeGtin]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeGtin.gtin"
    )
    versions: Mapped[list[NoticeVersion]] = relationship(
        back_populates="notice", order_by="NoticeVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> NoticeVersion:
        """The newest version: what a page shows and what a new owner gets."""
        return self.versions[-1]

    @property
    def is_open(self) -> bool:
        """Sent and not closed: shown on unit pages and sent to new owners."""
        return self.status == "sent"


class NoticeGtin(Model):
    """A GTIN whose units a notice covers (then narrowed by serials and sale dates)."""

    __tablename__ = "notice_gtin"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True
    )
    gtin: Mapped[str] = mapped_column(String(14), primary_key=True, index=True)

    notice: Mapped[Notice] = relationship(back_populates="gtins")


class NoticeVersion(Model):
    """The texts of a notice; a sent version is never changed (an update is a new version)."""

    __tablename__ = "notice_version"
    __table_args__ = (UniqueConstraint("notice_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    number: Mapped[int]
    # {"nl": {"product": ..., "hazard": ..., ...}, "en": {...}}: see services/notices/texts.py.
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    picture_url: Mapped[str | None] = mapped_column(String(500))
    # Which remedies are offered: "repair", "replacement", "refund".
    remedies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The manufacturer's contact: {"name", "phone", "email", "url"}.
    contact: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    notice: Mapped[Notice] = relationship(back_populates="versions")


class NoticeUnit(Model):
    """A unit a sent notice affects, and when any of its owners confirmed acting on it."""

    __tablename__ = "notice_unit"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    acted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "remedy" or "stopped" (see ACTED_CHOICES).
    acted_how: Mapped[str | None] = mapped_column(String(10))


class NoticeDelivery(Model):
    """One owner's copy of a notice, whatever its versions: what reached them and what they did.

    Kept when the owner is erased (owner_id becomes NULL), so the figures stay as they were.
    """

    __tablename__ = "notice_delivery"
    __table_args__ = (
        UniqueConstraint("notice_id", "owner_id"),
        Index("ix_notice_delivery_notice_sent", "notice_id", "sent_at"),
        # AUTOINCREMENT: the id is in the links of the message.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owner.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The first message the provider accepted, and a final failure (bounce, STOP, invalid).
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failure: Mapped[str | None] = mapped_column(String(200))
    # The owner followed a link of the message; confirmed acting; asked for no more messages.
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acted_how: Mapped[str | None] = mapped_column(String(10))
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    notice: Mapped[Notice] = relationship()


class NoticeMessage(Model):
    """Ties an outbox row (Reminder of kind "notice") to the delivery and version it carries."""

    __tablename__ = "notice_message"

    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminder.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notice_delivery.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("notice_version.id", ondelete="CASCADE"))
