"""Partner profiles: registering one, the postcode areas it covers, and an admin's approval."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, PartnerArea, PartnerProfile
from maintenance.models.partner import BOOKING_MODES

COUNTRIES = ("NL", "BE")
_AREA = re.compile(r"^(?:(NL|BE)\s*:\s*)?(\d{4})(?:\s*-\s*(\d{4}))?$")
# "1234 AB", "1234ab", "BE 1000", "B-1000", "NL-1234": country (NL unless named) and number.
_POSTCODE = re.compile(r"^(?:(NL|BE|B)[\s-]*)?(\d{4})\s*([A-Z]{2})?$")


class PartnerError(ValueError):
    """A partner detail that cannot be used; `field` names where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Postcode:
    """A postcode as coverage is matched on: the country and its four-digit number."""

    country: str
    number: int


def parse_postcode(text: str) -> Postcode:
    """Read a Dutch ("1234 AB") or Belgian ("BE 1000") postcode; PartnerError when it is none."""
    match = _POSTCODE.match(text.strip().upper())
    if match is None or match.group(2)[0] == "0":
        raise PartnerError("postcode", _("give a postcode like 1234 AB, or BE 1000 for Belgium"))
    country = "BE" if match.group(1) in ("BE", "B") else "NL"
    if country == "BE" and match.group(3):
        raise PartnerError("postcode", _("a Belgian postcode has four digits and no letters"))
    return Postcode(country, int(match.group(2)))


def parse_areas(entries: Iterable[str]) -> list[tuple[str, int, int]]:
    """Read areas like "1000-1099", "NL:3500" or "BE:2000-2999" as (country, first, last)."""
    areas = []
    for index, entry in enumerate(entries):
        match = _AREA.match(entry.strip().upper())
        if match is None:
            raise PartnerError(
                f"areas[{index}]", f"{entry!r} is not a postcode range like 1000-1099 or BE:2000"
            )
        first = int(match.group(2))
        last = int(match.group(3) or first)
        if first < 1000 or last < first:
            raise PartnerError(
                f"areas[{index}]", f"{entry!r}: the range must run upwards from 1000"
            )
        areas.append((match.group(1) or "NL", first, last))
    if not areas:
        raise PartnerError("areas", "give at least one postcode area")
    return areas


@transactional
def register_partner(
    name: str,
    *,
    areas: Iterable[str],
    categories: Iterable[str] = (),
    task_ids: Iterable[str] = (),
    brands: Iterable[str] = (),
    booking_mode: str = "request",
    booking_url: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    repair_cafe: bool = False,
    opening_days: str | None = None,
    free: bool = False,
) -> PartnerProfile:
    """Create or replace an organisation's partner profile; it is listed once approved.

    An existing retailer keeps its kind (its service desk becomes a partner); a new name
    becomes an organisation of kind "partner".
    """
    if booking_mode not in BOOKING_MODES:
        raise PartnerError("booking_mode", f"must be one of {', '.join(BOOKING_MODES)}")
    if booking_mode == "url" and not (booking_url or "").startswith("https://"):
        raise PartnerError("booking_url", "give the https address of the booking page")
    if booking_mode == "phone" and not phone:
        raise PartnerError("phone", "give the phone number to book by")
    if booking_mode == "request" and not email:
        raise PartnerError("email", "give the address that receives new requests")
    parsed = parse_areas(areas)
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name, kind="partner")
        db.session.add(organisation)
        db.session.flush()
    elif organisation.kind not in ("partner", "retailer"):
        raise PartnerError("name", f"{name!r} is a {organisation.kind}, not a partner or retailer")
    profile = db.session.get(PartnerProfile, organisation.id) or PartnerProfile(
        organisation=organisation
    )
    profile.categories = sorted(set(categories))
    profile.task_ids = sorted(set(task_ids))
    profile.brands = sorted(set(brands))
    profile.booking_mode = booking_mode
    profile.booking_url, profile.phone, profile.email = booking_url, phone, email
    profile.repair_cafe, profile.opening_days, profile.free = repair_cafe, opening_days, free
    profile.areas = [PartnerArea(country=c, first=f, last=last) for c, f, last in parsed]
    db.session.add(profile)
    db.session.flush()
    return profile


def profile_named(name: str) -> PartnerProfile | None:
    """The partner profile of the organisation with this name."""
    return db.session.scalar(
        select(PartnerProfile).join(PartnerProfile.organisation).where(Organisation.name == name)
    )


@transactional
def approve_partner(profile: PartnerProfile, now: datetime) -> None:
    """An admin's approval: from now on owners are offered this partner."""
    if profile.approved_at is None:
        profile.approved_at = now


def all_profiles() -> list[PartnerProfile]:
    """Every partner profile, waiting ones first, then by name (the admin's list)."""
    rows = db.session.scalars(
        select(PartnerProfile).join(PartnerProfile.organisation).order_by(Organisation.name)
    )
    return sorted(rows, key=lambda profile: profile.approved_at is not None)
