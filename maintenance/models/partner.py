"""Service partners (installers, repair shops, service desks, repair cafés) and requests to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.organisation import Organisation
from maintenance.models.owner import Owner
from maintenance.models.unit import Unit

BOOKING_MODES = ("request", "url", "phone")
REQUEST_STATES = ("open", "accepted", "declined", "done", "withdrawn")
OPEN_STATES = ("open", "accepted")


class PartnerProfile(Model):
    """What a service partner does, where, and how to book it; listed once an admin approves.

    A profile hangs off any organisation, so a retailer's service desk is a partner too and is
    offered first for the units it sold.
    """

    __tablename__ = "partner_profile"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Product categories and uniform task ids it does; brands it is authorised for (may be []).
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    task_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    brands: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "request" (through this service), "url" (its own booking page) or "phone".
    booking_mode: Mapped[str] = mapped_column(String(10), default="request")
    booking_url: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(30))
    # Where new requests are announced, unless the partner stopped those emails (the inbox and
    # webhooks still get every request).
    email: Mapped[str | None] = mapped_column(String(320))
    email_requests: Mapped[bool] = mapped_column(default=True, server_default=true())
    repair_cafe: Mapped[bool] = mapped_column(default=False)
    opening_days: Mapped[str | None] = mapped_column(String(200))
    free: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    areas: Mapped[list[PartnerArea]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerArea.id"
    )


class PartnerArea(Model):
    """A range of four-digit postcodes in one country (NL or BE) that a partner covers."""

    __tablename__ = "partner_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner_profile.organisation_id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(String(2))
    first: Mapped[int]
    last: Mapped[int]

    partner: Mapped[PartnerProfile] = relationship(back_populates="areas")


class ServiceRequest(Model):
    """An owner's request for a visit, shared with one partner by the owner's explicit consent."""

    __tablename__ = "service_request"
    # AUTOINCREMENT: the id is in the API's URLs; SQLite must never hand it out twice.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owner.id", ondelete="SET NULL"), index=True
    )
    task_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="open")
    # What the owner shared with this partner, copied at the request (erased with the owner).
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    preferred_days: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # The consent to share, per request: the text version shown and when it was given.
    consent_text: Mapped[str] = mapped_column(String(40))
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The day it arrived in the service's time zone: the figures count requests by it.
    created_on: Mapped[date] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    proposed_time: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    done_on: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str | None] = mapped_column(Text)
    log_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_log.id", ondelete="SET NULL")
    )
    # When the owner stopped the messages about this request (the link in each of them).
    owner_stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    partner: Mapped[Organisation] = relationship()
    unit: Mapped[Unit] = relationship()
    owner: Mapped[Owner | None] = relationship()

    def as_json(self) -> dict[str, Any]:
        """The request as the partner sees it (API and inbox)."""
        return {
            "id": self.id,
            "status": self.status,
            "task": self.task_key,
            "unit": {
                "gtin": self.unit.gtin,
                "serial": self.unit.serial,
                "brand": self.unit.product_model.brand,
                "model": self.unit.product_model.name,
                "category": self.unit.product_model.category,
            },
            "contact": {"email": self.contact_email, "phone": self.contact_phone},
            "postcode": self.postcode,
            "preferred_days": self.preferred_days,
            "note": self.note,
            "created_at": self.created_at.isoformat(),
            "proposed_time": self.proposed_time,
            "decline_reason": self.decline_reason,
            "done_on": self.done_on.isoformat() if self.done_on else None,
        }


class RepairOutcome(Model):
    """How a repair ended, as an owner told it: anonymous (no owner), for the repair figures."""

    __tablename__ = "repair_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_model.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    # "fixed-myself", "repaired-by-partner" or "not-repairable" (with an ORDS barrier).
    outcome: Mapped[str] = mapped_column(String(20))
    barrier: Mapped[str | None] = mapped_column(String(40))
    symptom_id: Mapped[str | None] = mapped_column(String(64))
    recorded_on: Mapped[date] = mapped_column(Date)
