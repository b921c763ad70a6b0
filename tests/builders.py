"""Test data builders with keyword defaults: the one place tests make models, units and owners.

Builders commit what they make. Defaults describe one dishwasher, "Testmerk VW 100" by
"Test Appliances" with GTIN; a test that asserts on a value passes it in.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    ModelGtin,
    Organisation,
    Owner,
    Ownership,
    ProductModel,
    Reminder,
    ScanEvent,
    ServiceRequest,
    TaskSchedule,
    Unit,
)
from maintenance.services.accounts import get_or_create_organisation
from maintenance.services.events import record_event
from maintenance.services.identifiers import gtin_check_digit
from maintenance.services.partners.requests import create_request
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.plan import ensure_schedules


def gtin(body: str = "871234599999") -> str:
    """A valid GTIN-14 from a 12-digit body."""
    return f"0{body}{gtin_check_digit(body)}"


GTIN = gtin("871234577777")
OTHER_GTIN = gtin("871234500027")
UNKNOWN_GTIN = gtin("871234500034")  # no builder makes a model with it

_numbers = itertools.count(1)


# Protocol documents -------------------------------------------------------------------------


def protocol_yaml(
    *,
    category: str = "dishwasher",
    manufacturer: str | None = None,
    models: list[tuple[str, str]] | None = None,
    every: str = "P1M",
    title_en: str = "Dishwasher care",
    task_id: str = "clean-filter",
) -> str:
    """A valid protocol document; with manufacturer and models it applies to those GTINs."""
    document: dict = {
        "format": "maintenance-protocol/1",
        "category": category,
        "title": {"nl": "Onderhoud", "en": title_en},
        "tasks": [
            {
                "id": task_id,
                "title": {"nl": "Filter reinigen", "en": "Clean the filter"},
                "why": {"nl": "Schoner en zuiniger.", "en": "Cleaner and cheaper to run."},
                "every": every,
                "duration": "PT10M",
                "difficulty": "easy",
                "steps": [{"nl": "Haal het filter eruit.", "en": "Take the filter out."}],
            }
        ],
    }
    if manufacturer:
        document["applies_to"] = {
            "manufacturer": manufacturer,
            "models": [{"gtin": g, "name": n} for g, n in (models or [])],
        }
    # JSON is YAML too, and keeps GTINs quoted so their leading zeros survive.
    return json.dumps(document, ensure_ascii=False, indent=2)


THREE_TASKS = {
    "clean-filter": ("P1M", {"nl": "Filter reinigen", "en": "Clean the filter"}),
    "refill-salt": ("P3M", {"nl": "Zout bijvullen", "en": "Refill the salt"}),
    "check-hoses": ("P6M", {"nl": "Slangen controleren", "en": "Check the hoses"}),
}


def three_task_protocol(professional: tuple[str, ...] = ()) -> str:
    """The dishwasher category default the reminder tests plan with: THREE_TASKS, each easy
    unless named in `professional`."""
    tasks = [
        {
            "id": key,
            "title": title,
            "why": {"nl": "Gaat langer mee.", "en": "Lasts longer."},
            "every": every,
            "duration": "PT10M",
            "difficulty": "professional" if key in professional else "easy",
            "steps": [{"nl": "Stap een.", "en": "Step one."}],
        }
        for key, (every, title) in THREE_TASKS.items()
    ]
    title = {"nl": "Onderhoud vaatwasser", "en": "Dishwasher maintenance"}
    document = {"format": "maintenance-protocol/1", "category": "dishwasher", "title": title}
    return json.dumps({**document, "tasks": tasks})


def professional_protocol() -> str:
    """A dishwasher default with a yearly task for a technician (check-hoses) and an easy one."""
    task = {
        "id": "check-hoses",
        "title": {"nl": "Slangen laten controleren", "en": "Have the hoses checked"},
        "why": {"nl": "Lekt niet.", "en": "No leaks."},
        "every": "P1Y",
        "difficulty": "professional",
        "steps": [{"nl": "Laat een monteur komen.", "en": "Have a technician come."}],
    }
    easy = json.loads(protocol_yaml())["tasks"][0]
    title = {"nl": "Vaatwasser", "en": "Dishwasher"}
    document = {"format": "maintenance-protocol/1", "category": "dishwasher", "title": title}
    return json.dumps({**document, "tasks": [task, easy]})


# Models, shops and units ----------------------------------------------------------------------


@transactional
def make_model(
    *,
    gtin: str = GTIN,
    category: str = "dishwasher",
    brand: str = "Testmerk",
    name: str = "VW 100",
    manufacturer: str = "Test Appliances",
) -> ProductModel:
    """A product model with one GTIN-14, of a manufacturer organisation made on first use."""
    maker = get_or_create_organisation(manufacturer, "manufacturer")
    model = ProductModel(organisation=maker, brand=brand, name=name, category=category)
    model.gtins.append(ModelGtin(gtin=gtin))
    db.session.add(model)
    db.session.flush()
    return model


@transactional
def make_shop(*, name: str = "Elektro Centrum", language: str = "nl") -> Organisation:
    """A retailer organisation speaking a language."""
    shop = get_or_create_organisation(name, "retailer")
    shop.language = language
    return shop


@transactional
def make_unit(
    *, serial: str | None = None, sold_on: date | None = date(2024, 1, 10), gtin: str = GTIN
) -> Unit:
    """A unit a shop registered, of the model with this GTIN (one with make_model's defaults
    if there is none yet); serial SN0001, SN0002, ... (the first one free) unless given."""
    row = db.session.get(ModelGtin, gtin)
    model = row.product_model if row is not None else make_model(gtin=gtin)
    if serial is None:
        taken = set(db.session.scalars(select(Unit.serial).where(Unit.gtin == gtin)))
        serial = next(s for n in itertools.count(1) if (s := f"SN{n:04d}") not in taken)
    unit = Unit(gtin=gtin, serial=serial, product_model=model, sold_on=sold_on)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_planned_unit(today: date, *, professional: tuple[str, ...] = ()) -> Unit:
    """A unit sold today under three_task_protocol(professional), its schedules planned as of
    today."""
    document = three_task_protocol(professional).encode()
    publish_protocol(load_protocol(document, filename="three-tasks.json"))
    unit = make_unit(sold_on=today)
    ensure_schedules(unit, today)
    return unit


def unit_path(serial: str = "SN0001", gtin: str = GTIN) -> str:
    """The unit page path (GS1 Digital Link) for a serial."""
    return f"/01/{gtin}/21/{serial}"


# Owners, their reminders, rows -------------------------------------------------------------------


@transactional
def make_owner(
    *,
    channel: str = "email",
    email: str | None = None,
    phone: str | None = None,
    language: str = "nl",
    digest: bool = True,
    preferred_hour: int = 9,
    time_zone: str = "Europe/Amsterdam",
) -> Owner:
    """A verified owner on the channel, with no units yet."""
    n = next(_numbers)
    verified = datetime(2024, 1, 1, tzinfo=UTC)
    owner = Owner(
        email=email or f"owner{n}@example.com",
        phone=phone or (f"+3161234{n:04d}" if channel == "sms" else None),
        email_verified_at=verified,
        phone_verified_at=verified if channel == "sms" else None,
        channel=channel,
        language=language,
        digest=digest,
        preferred_hour=preferred_hour,
        time_zone=time_zone,
    )
    db.session.add(owner)
    return owner


@transactional
def own(owner: Owner, unit: Unit) -> Ownership:
    """Make owner an active owner of unit."""
    ownership = Ownership(owner_id=owner.id, unit_id=unit.id)
    db.session.add(ownership)
    return ownership


@transactional
def set_due(unit: Unit, **dues: date) -> None:
    """Set next_due of tasks (keyword: task key with - as _); the others move far away."""
    wanted = {key.replace("_", "-"): day for key, day in dues.items()}
    for schedule in db.session.scalars(select(TaskSchedule).where(TaskSchedule.unit_id == unit.id)):
        schedule.next_due = wanted.get(schedule.task_key, date(2099, 1, 1))
        # As every change of a due date does: the scheduler looks at it on its reminder date.
        schedule.next_action_on = schedule.next_due


def make_request(
    *,
    owner: Owner,
    unit: Unit,
    partner_id: int,
    now: datetime,
    task: str = "check-hoses",
    postcode: str = "3511 AB",
    **details: str,
) -> ServiceRequest:
    """A service request the owner consented to, from a Utrecht postcode (details: note, ...)."""
    return create_request(
        owner,
        unit.id,
        task,
        partner_id=partner_id,
        postcode=postcode,
        consent=True,
        now=now,
        **details,
    )


def count(model: type) -> int:
    """Rows of a table, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def reminders() -> list[Reminder]:
    """Every reminder, oldest first, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(Reminder).order_by(Reminder.id)))


# A world for the figures ----------------------------------------------------------------------

MONTH = date(2026, 3, 1)
# The dashboards' filter for the month above, and a period around it.
PERIOD = "from=2026-01&to=2026-06"


@dataclass
class World:
    """Two manufacturers, two shops, their units and what happened to them, for the figures."""

    maker: Organisation
    other_maker: Organisation
    shop: Organisation
    other_shop: Organisation
    washer: ProductModel  # maker's, many households
    dryer: ProductModel  # maker's, one household only
    rival: ProductModel  # other maker's
    units: dict[str, list[Unit]] = field(default_factory=dict)


def _sold(of: ProductModel, shop: Organisation, count: int, prefix: str) -> list[Unit]:
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


def _scan(unit: Unit, day: date) -> None:
    db.session.add(
        ScanEvent(gtin=unit.gtin, unit_id=unit.id, product_model_id=unit.product_model_id, day=day)
    )


def _journey(unit: Unit, *, task: str, late: bool, via_reminder: bool, channel: str) -> None:
    """Scan, sign up, confirm, get reminded, and do the task (on time or late)."""
    due = MONTH + timedelta(days=2)
    _scan(unit, MONTH)
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
    washer, dryer, rival = (
        make_model(gtin=gtin(body), category=category, brand="Merk", name=name, manufacturer=maker)
        for body, category, name, maker in (
            ("871234560001", "washing-machine", "Washer W1", "Maker One"),
            ("871234560002", "tumble-dryer", "Dryer D1", "Maker One"),
            ("871234560003", "dishwasher", "Rival R9", "Maker Two"),
        )
    )
    shop, other_shop = make_shop(name="Shop One"), make_shop(name="Shop Two")
    world = World(washer.organisation, rival.organisation, shop, other_shop, washer, dryer, rival)
    world.units["washer"] = _sold(washer, shop, 12, "W")
    world.units["dryer"] = _sold(dryer, other_shop, 3, "D")
    world.units["rival"] = _sold(rival, shop, 6, "R")
    for n, unit in enumerate(world.units["washer"]):
        # 8 on time (6 through the reminder), 4 late; 9 by email, 3 by SMS.
        channel = "email" if n < 9 else "sms"
        _journey(unit, task="clean-filter", late=n >= 8, via_reminder=n < 6, channel=channel)
        _scan(unit, MONTH + timedelta(days=10))
    for unit in world.units["washer"][:6]:
        record_event("task_snoozed", unit=unit, day=MONTH + timedelta(days=4), task_key="descale")
    # One household only, on a model nobody else owns: it must never be visible as such.
    dryer_unit = world.units["dryer"][0]
    _journey(dryer_unit, task="clean-lint-filter", late=False, via_reminder=True, channel="sms")
    record_event("task_skipped", unit=dryer_unit, day=MONTH, task_key="clean-lint-filter")
    for unit in world.units["rival"]:
        _journey(unit, task="clean-filter", late=False, via_reminder=True, channel="email")
    db.session.commit()
    return world
