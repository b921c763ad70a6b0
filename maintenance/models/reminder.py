"""The reminder outbox: one row per owner, channel and send date, and its delivery events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.schedule import TaskSchedule

REMINDER_STATES = ("pending", "sending", "sent", "delivered", "undelivered", "failed", "cancelled")


class Reminder(Model):
    """An outbox row; the dedupe key makes materialising idempotent."""

    __tablename__ = "reminder"
    # AUTOINCREMENT: the id is in signed links; SQLite must never hand it out twice.
    __table_args__ = (
        Index("ix_reminder_claim", "status", "next_attempt_at"),
        # Claims take the higher priority (safety notices) first, in due order within it.
        Index("ix_reminder_claim_priority", "status", "priority", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # owner:channel:send_on:kind[:task] — unique, so a second materialise pass adds nothing.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    # "due", "follow-up" or "notice" (a recall or service notice, see models/notice.py).
    kind: Mapped[str] = mapped_column(String(12), default="due")
    # 0 for maintenance reminders; notices go first (models.notice.NOTICE_PRIORITY).
    priority: Mapped[int] = mapped_column(default=0, server_default="0")
    send_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    items: Mapped[list[ReminderItem]] = relationship(
        back_populates="reminder", cascade="all, delete-orphan"
    )
    events: Mapped[list[DeliveryEvent]] = relationship(
        back_populates="reminder", cascade="all, delete-orphan", order_by="DeliveryEvent.id"
    )


class ReminderItem(Model):
    """One due task in a reminder (a digest has several)."""

    __tablename__ = "reminder_item"
    # A schedule's items by reminder date: what a materialise pass asks of each due schedule.
    __table_args__ = (Index("ix_reminder_item_schedule_due", "schedule_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminder.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[int] = mapped_column(ForeignKey("task_schedule.id"))
    due_on: Mapped[date] = mapped_column(Date)

    reminder: Mapped[Reminder] = relationship(back_populates="items")
    schedule: Mapped[TaskSchedule] = relationship()


class DeliveryEvent(Model):
    """A send attempt or a provider status report for a reminder."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminder.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(20))

    reminder: Mapped[Reminder] = relationship(back_populates="events")
