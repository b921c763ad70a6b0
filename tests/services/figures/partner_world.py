"""Service requests in every state, with known times, for the partner figures (March 2026).

Utrecht Service gets ten requests in March (and one in February):

| units | what happened | hours to accept |
|---|---|---|
| 0-4 | accepted, then done in March | 1, 2, 3, 5, 8 |
| 5 | accepted, still waiting for the visit | 40 |
| 6, 7 | declined | - |
| 8 | still open | - |
| 9 | withdrawn (the owner deleted their data) | - |
| 11 (February) | still open | - |

Rival Service gets two: unit 10 accepted after 500 hours and done, unit 11 still open.
The owners of units 6, 7, 8, 10 and 11 did the professional task themselves (20 March), and
every unit had its easy task done (21 March).
Repair outcomes: dishwasher 3 fixed by the owner, 5 by a repairer, 2 not repairable;
one washing machine fixed by its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from maintenance.models import Organisation, Owner, Unit
from maintenance.services.owners.erase import delete_owner
from maintenance.services.partners.outcomes import record_outcome
from maintenance.services.partners.profiles import approve_partner, register_partner
from maintenance.services.partners.requests import (
    accept_request,
    complete_request,
    decline_request,
)
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.plan import ensure_schedules
from maintenance.services.schedules.records import record_done
from tests.builders import (
    gtin,
    make_model,
    make_owner,
    make_request,
    make_unit,
    own,
    professional_protocol,
)

MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARCH_START, MARCH_END = date(2026, 3, 1), date(2026, 3, 31)
# Units 0-5 are accepted this many hours after they asked; the median is 4.0.
ACCEPT_HOURS = (1, 2, 3, 5, 8, 40)


@dataclass
class PartnerWorld:
    """The two partners and the units and owners behind their requests."""

    partner: Organisation  # Utrecht Service
    rival: Organisation  # Rival Service
    units: list[Unit]
    owners: list[Owner]


def _partner(name: str) -> Organisation:
    profile = register_partner(
        name, areas=["3500-3599"], categories=["dishwasher"], email="desk@example.nl"
    )
    approve_partner(profile, MARCH - timedelta(days=60))
    return profile.organisation


def _ask(world: PartnerWorld, n: int, partner: Organisation, at: datetime):
    return make_request(owner=world.owners[n], unit=world.units[n], partner_id=partner.id, now=at)


def build_partner_world() -> PartnerWorld:
    """Two partners, twelve owned dishwashers, and what happened to their requests."""
    publish_protocol(load_protocol(professional_protocol().encode(), filename="p.json"))
    start = MARCH.date() - timedelta(days=60)
    units = [make_unit(sold_on=start) for _n in range(12)]
    owners = [make_owner(email=f"household{n}@example.nl") for n in range(12)]
    for unit, owner in zip(units, owners, strict=True):
        own(owner, unit)
        ensure_schedules(unit, start)
    world = PartnerWorld(_partner("Utrecht Service"), _partner("Rival Service"), units, owners)
    for n in range(10):
        at = MARCH + timedelta(days=n)
        request = _ask(world, n, world.partner, at)
        if n < len(ACCEPT_HOURS):
            accepted = at + timedelta(hours=ACCEPT_HOURS[n])
            accept_request(request, "Next week", accepted)
            if n < 5:
                visit = accepted + timedelta(days=2)
                complete_request(request, visit.date(), None, visit)
        elif n in (6, 7):
            decline_request(request, "Too busy", at + timedelta(hours=1))
    delete_owner(world.owners[9])
    _ask(world, 11, world.partner, datetime(2026, 2, 10, 9, tzinfo=UTC))
    rival = _ask(world, 10, world.rival, MARCH)
    accept_request(rival, "In a month or so", MARCH + timedelta(hours=500))
    complete_request(rival, date(2026, 3, 30), None, datetime(2026, 3, 30, 12, tzinfo=UTC))
    _ask(world, 11, world.rival, MARCH)
    for n in range(12):
        if n >= 6 and n != 9:
            record_done(units[n], "check-hoses", date(2026, 3, 20), owner=owners[n])
        record_done(units[n], "clean-filter", date(2026, 3, 21))
    _outcomes(units[0])
    return world


def _outcomes(unit: Unit) -> None:
    """Dishwasher outcomes 3 / 5 / 2, and one lone washing machine."""
    model = unit.product_model
    day = date(2026, 3, 15)
    for _n in range(3):
        record_outcome(model, None, "fixed-myself", day)
    for _n in range(5):
        record_outcome(model, None, "repaired-by-partner", day)
    for _n in range(2):
        record_outcome(model, None, "not-repairable", day, barrier="parts-unavailable")
    washer = make_model(gtin=gtin("871234560009"), category="washing-machine", name="W 1")
    record_outcome(washer, None, "fixed-myself", day)
