"""A planned dishwasher with an owner, and partners around Utrecht (3500-3599)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from maintenance.db.transactions import transactional
from maintenance.models import Owner, PartnerProfile, Unit
from maintenance.services.partners.profiles import approve_partner, register_partner
from tests.builders import make_owner, make_planned_unit, own

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def partner(name: str, *, approved: bool = True, **details: object) -> PartnerProfile:
    """Register a partner covering Utrecht for dishwashers unless told otherwise."""
    fields: dict = {"areas": ["3500-3599"], "categories": ["dishwasher"], "email": "desk@p.nl"}
    fields.update(details)
    profile = register_partner(name, **fields)
    if approved:
        approve_partner(profile, NOW)
    return profile


@transactional
def sold_by(unit: Unit, profile: PartnerProfile) -> None:
    unit.retailer_id = profile.organisation_id


@pytest.fixture
def planned(ctx) -> tuple[Unit, Owner]:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl")
    own(owner, unit)
    return unit, owner
