"""Anonymous events for figures: never a person, only units, models and days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from maintenance.extensions import db
from maintenance.models._base import UtcDateTime, utcnow


class ScanEvent(db.Model):
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
