"""Anonymous events for figures: never a person, only units, models and days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow


def first_of_month(context: DefaultExecutionContext) -> date:
    """The month of the row's day, for rows inserted without one."""
    return context.get_current_parameters()["day"].replace(day=1)


class ScanEvent(Model):
    """A QR scan or page view of a unit or model; no IP, no user agent, no person."""

    __tablename__ = "scan_event"
    __table_args__ = (Index("ix_scan_event_model_day", "product_model_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    product_model_id: Mapped[int | None] = mapped_column(ForeignKey("product_model.id"))
    day: Mapped[date] = mapped_column(Date)
    # "qr" for a code scanned, "web" for a link followed, "api" for integrations.
    source: Mapped[str] = mapped_column(String(10), default="qr")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# What an Event row records; the figures count these (scans come from ScanEvent).
EVENT_KINDS = (
    "signup",  # someone asked for reminders for a unit (before confirming)
    "confirmed",  # an owner was tied to a unit (confirmed sign-up, or added while logged in)
    "reminder_sent",  # one task in a message the provider accepted (a digest gives several)
    "reminder_delivered",  # the provider reported that message delivered, per task in it
    "reminder_failed",  # the message finally failed, per task in it
    "task_done",
    "task_skipped",
    "task_missed",  # an occurrence passed without done, skipped or snoozed (the scheduler)
    "task_snoozed",
    "unsubscribed",  # an owner stopped a channel (link in a message, or SMS STOP)
    "ownership_ended",
)


class Event(Model):
    """Something an owner or a message did, kept for figures without saying who.

    Never an owner id, address, IP or free text: erasing an owner leaves these rows as they
    are, so the sector's figures do not change when people use their right to be forgotten.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_kind_day", "kind", "day"),
        # Covering indexes for the dashboards' grouped passes: every column a manufacturer's
        # or retailer's pass reads is in the index, so SQLite never visits the table rows.
        Index(
            "ix_event_manufacturer_figures",
            "manufacturer_id",
            "kind",
            "day",
            "product_model_id",
            "task_key",
            "version_id",
            "unit_id",
            "days_late",
            "from_reminder",
        ),
        Index("ix_event_model_kind_day", "product_model_id", "kind", "day"),
        Index("ix_event_retailer_figures", "retailer_id", "kind", "day", "unit_id"),
        # The sector's pass reads every event of its period: in this index's order it groups
        # per month, category, channel and unit as it goes, without sorting the rows first.
        Index(
            "ix_event_sector_figures",
            "month",
            "category",
            "channel",
            "unit_id",
            "kind",
            "days_late",
            "from_reminder",
            "day",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    # The owner's local day it happened (done_on for tasks); figures group by it.
    day: Mapped[date] = mapped_column(Date)
    # The first day of day's month, stored so the figures group by a column an index holds.
    month: Mapped[date | None] = mapped_column(Date, default=first_of_month)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    # Copied from the unit so figures need no joins and survive a unit being removed.
    product_model_id: Mapped[int | None] = mapped_column(ForeignKey("product_model.id"))
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    retailer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    category: Mapped[str | None] = mapped_column(String(40))
    task_key: Mapped[str | None] = mapped_column(String(80))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_version.id"))
    channel: Mapped[str | None] = mapped_column(String(10))
    # For task events: when the task was due, so done on time / late can be told apart.
    due_on: Mapped[date | None] = mapped_column(Date)
    # day - due_on, kept so figures compare integers instead of parsing dates on every row.
    days_late: Mapped[int | None]
    # A task done or skipped through a reminder's link within 14 days of that reminder.
    from_reminder: Mapped[bool] = mapped_column(default=False)
