"""Per-unit task schedules and the log of maintenance done or skipped."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.organisation import Organisation
from maintenance.models.unit import Unit


class TaskSchedule(Model):
    """When a task of a unit is next due; snooze moves only the reminder, never the anchor."""

    __tablename__ = "task_schedule"
    __table_args__ = (
        UniqueConstraint("unit_id", "task_key"),
        # A pass reads only the schedules whose next action has come; stopped ones have none.
        Index(
            "ix_task_schedule_next_action_on",
            "next_action_on",
            postgresql_where=text("next_action_on IS NOT NULL"),
            sqlite_where=text("next_action_on IS NOT NULL"),
        ),
        # AUTOINCREMENT: the id is in signed links; SQLite must never hand it out twice.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    task_key: Mapped[str] = mapped_column(String(80))
    # The version whose rule planned next_due; a newer version re-plans future dates.
    version_id: Mapped[int] = mapped_column(ForeignKey("protocol_version.id"))
    start_on: Mapped[date] = mapped_column(Date)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    next_due: Mapped[date] = mapped_column(Date, index=True)
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    follow_up_sent_on: Mapped[date | None] = mapped_column(Date)
    # The day the scheduler next looks at this schedule (a reminder, a follow-up or a missed
    # occurrence rolling on); earlier is always safe, later would lose a reminder. None: never
    # (the owner stopped the task).
    next_action_on: Mapped[date | None] = mapped_column(Date)
    # Occurrences in a row that passed without done, skipped or snoozed (see reminders/pace).
    missed_in_row: Mapped[int] = mapped_column(default=0, server_default="0")
    # The household's answer to "does this interval suit you": "normal" (not asked or not
    # answered), "kept", "slower" (every other occurrence) or "stopped".
    pace: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")

    unit: Mapped[Unit] = relationship()


class MaintenanceLog(Model):
    """A task done or skipped on a unit, linked to the protocol version in force then."""

    __tablename__ = "maintenance_log"
    # The partner figures count a partner's logged tasks by visit date (migration 0018).
    __table_args__ = (Index("ix_maintenance_log_partner_done", "partner_id", "done_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    task_key: Mapped[str] = mapped_column(String(80))
    version_id: Mapped[int] = mapped_column(ForeignKey("protocol_version.id"))
    # "done", "skipped", "missed" (passed without either, logged by the scheduler), or the
    # household's answer to the interval question: "kept", "slower", "stopped", "resumed".
    action: Mapped[str] = mapped_column(String(10))
    done_on: Mapped[date] = mapped_column(Date)
    logged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Unset for anonymous logs and after the owner erased their data.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    # "page", "reminder", "owner"; with reminder_id when it came from a message link.
    source: Mapped[str] = mapped_column(String(20), default="page")
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id", ondelete="SET NULL"))
    # The service partner that did it (source "partner"): the history says "done by" it.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )

    partner: Mapped[Organisation | None] = relationship()


class ReplanQueue(Model):
    """A protocol whose units under maintenance are being re-planned after a new version.

    Publishing only queues the protocol; the scheduler re-plans its units in chunks in unit id
    order, so a model with many units never holds up the publish request.
    """

    __tablename__ = "replan_queue"

    protocol_id: Mapped[int] = mapped_column(
        ForeignKey("protocol.id", ondelete="CASCADE"), primary_key=True
    )
    # Units up to this id are done; a new publish starts the protocol over from 0.
    after_unit_id: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when its units could not be planned: the entry is skipped until queued again.
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failure: Mapped[str | None] = mapped_column(String(500))
