"""A small world of two manufacturers, two shops, units and their events, built for figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from maintenance.extensions import db
from maintenance.models import ModelGtin, Organisation, ProductModel, ScanEvent, Unit
from maintenance.services.accounts import get_or_create_organisation
from maintenance.services.events import record_event
from tests.builders import gtin

MONTH = date(2026, 3, 1)
# The dashboards' filter for the month above, and a period around it.
PERIOD = "from=2026-01&to=2026-06"


@dataclass
class World:
    """Everything a figures test needs to look at."""

    maker: Organisation
    other_maker: Organisation
    shop: Organisation
    other_shop: Organisation
    washer: ProductModel  # maker's, many households
    dryer: ProductModel  # maker's, one household only
    rival: ProductModel  # other maker's
    units: dict[str, list[Unit]] = field(default_factory=dict)


def model(maker: Organisation, body: str, name: str, category: str) -> ProductModel:
    """A product model with one GTIN."""
    row = ProductModel(organisation=maker, brand="Merk", name=name, category=category)
    row.gtins.append(ModelGtin(gtin=gtin(body)))
    db.session.add(row)
    return row


def units(of: ProductModel, shop: Organisation, count: int, prefix: str) -> list[Unit]:
    """Units sold by a shop, labelled on the first day of MONTH."""
    made = [
        Unit(
            gtin=of.gtins[0].gtin,
            serial=f"{prefix}{n:04d}",
            product_model=of,
            retailer=shop,
            sold_on=MONTH,
            created_at=datetime.combine(MONTH, datetime.min.time(), tzinfo=UTC),
            labels_printed=1,
        )
        for n in range(count)
    ]
    db.session.add_all(made)
    db.session.flush()
    return made


def scan(unit: Unit, day: date) -> None:
    """A QR scan of a unit."""
    db.session.add(
        ScanEvent(gtin=unit.gtin, unit_id=unit.id, product_model_id=unit.product_model_id, day=day)
    )


def journey(unit: Unit, *, task: str, late: bool, via_reminder: bool, channel: str) -> None:
    """Scan, sign up, confirm, get reminded, and do the task (on time or late)."""
    due = MONTH + timedelta(days=2)
    scan(unit, MONTH)
    record_event("signup", unit=unit, day=MONTH, channel=channel)
    record_event("confirmed", unit=unit, day=MONTH, channel=channel)
    record_event("reminder_sent", unit=unit, day=due, task_key=task, channel=channel, due_on=due)
    record_event(
        "reminder_delivered", unit=unit, day=due, task_key=task, channel=channel, due_on=due
    )
    done = due + timedelta(days=20 if late else 3)
    record_event(
        "task_done", unit=unit, day=done, task_key=task, due_on=due, from_reminder=via_reminder
    )


def build_world() -> World:
    """Twelve washer households (R1), one dryer household (R2), six rival units (R1)."""
    maker = get_or_create_organisation("Maker One", "manufacturer")
    other_maker = get_or_create_organisation("Maker Two", "manufacturer")
    shop = get_or_create_organisation("Shop One", "retailer")
    other_shop = get_or_create_organisation("Shop Two", "retailer")
    washer = model(maker, "871234560001", "Washer W1", "washing-machine")
    dryer = model(maker, "871234560002", "Dryer D1", "tumble-dryer")
    rival = model(other_maker, "871234560003", "Rival R9", "dishwasher")
    db.session.flush()
    world = World(maker, other_maker, shop, other_shop, washer, dryer, rival)
    world.units["washer"] = units(washer, shop, 12, "W")
    world.units["dryer"] = units(dryer, other_shop, 3, "D")
    world.units["rival"] = units(rival, shop, 6, "R")
    for n, unit in enumerate(world.units["washer"]):
        # 8 on time (6 through the reminder), 4 late; 9 by email, 3 by SMS.
        journey(
            unit,
            task="clean-filter",
            late=n >= 8,
            via_reminder=n < 6,
            channel="email" if n < 9 else "sms",
        )
        scan(unit, MONTH + timedelta(days=10))
    for unit in world.units["washer"][:6]:
        record_event("task_snoozed", unit=unit, day=MONTH + timedelta(days=4), task_key="descale")
    # One household only, on a model nobody else owns: it must never be visible as such.
    journey(
        world.units["dryer"][0],
        task="clean-lint-filter",
        late=False,
        via_reminder=True,
        channel="sms",
    )
    record_event(
        "task_skipped", unit=world.units["dryer"][0], day=MONTH, task_key="clean-lint-filter"
    )
    for unit in world.units["rival"]:
        journey(unit, task="clean-filter", late=False, via_reminder=True, channel="email")
    db.session.commit()
    return world
