"""Builders for reminder tests: a protocol with three tasks, units, verified owners, due dates."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import (
    ModelGtin,
    Organisation,
    Owner,
    Ownership,
    ProductModel,
    Reminder,
    TaskSchedule,
    Unit,
)
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.plan import ensure_schedules
from tests.builders import gtin

TASKS = ("clean-filter", "refill-salt", "check-hoses")
TITLES = {
    "clean-filter": {"nl": "Filter reinigen", "en": "Clean the filter"},
    "refill-salt": {"nl": "Zout bijvullen", "en": "Refill the salt"},
    "check-hoses": {"nl": "Slangen controleren", "en": "Check the hoses"},
}
_numbers = itertools.count(1)


def protocol_document() -> str:
    """A dishwasher category default with three monthly-or-slower tasks."""
    tasks = [
        {
            "id": key,
            "title": TITLES[key],
            "why": {"nl": "Gaat langer mee.", "en": "Lasts longer."},
            "every": every,
            "duration": "PT10M",
            "difficulty": "easy",
            "steps": [{"nl": "Stap een.", "en": "Step one."}],
        }
        for key, every in zip(TASKS, ("P1M", "P3M", "P6M"), strict=True)
    ]
    document = {
        "format": "maintenance-protocol/1",
        "category": "dishwasher",
        "title": {"nl": "Onderhoud vaatwasser", "en": "Dishwasher maintenance"},
        "tasks": tasks,
    }
    return json.dumps(document)


def make_unit(today: date) -> Unit:
    """A dishwasher unit under the three-task protocol, with its schedules planned."""
    if db.session.scalar(select(Organisation).where(Organisation.name == "Maker")) is None:
        publish_protocol(load_protocol(protocol_document().encode(), filename="test.json"))
        maker = Organisation(name="Maker", kind="manufacturer")
        model = ProductModel(
            organisation=maker, brand="Voorbeeld", name="VW 600", category="dishwasher"
        )
        model.gtins.append(ModelGtin(gtin=gtin("871234500002")))
        db.session.add(model)
        db.session.commit()
    model = db.session.scalar(select(ProductModel).where(ProductModel.name == "VW 600"))
    unit = Unit(
        gtin=model.gtins[0].gtin, serial=f"S{next(_numbers)}", product_model=model, sold_on=today
    )
    db.session.add(unit)
    db.session.commit()
    ensure_schedules(unit, today)
    return unit


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
    db.session.commit()
    return owner


def own(owner: Owner, unit: Unit) -> Ownership:
    """Make owner an active owner of unit."""
    ownership = Ownership(owner_id=owner.id, unit_id=unit.id)
    db.session.add(ownership)
    db.session.commit()
    return ownership


def set_due(unit: Unit, **dues: date) -> None:
    """Set next_due of tasks (keyword: task key with - as _); the others move far away."""
    wanted = {key.replace("_", "-"): day for key, day in dues.items()}
    for schedule in db.session.scalars(select(TaskSchedule).where(TaskSchedule.unit_id == unit.id)):
        schedule.next_due = wanted.get(schedule.task_key, date(2099, 1, 1))
        # As every change of a due date does: the scheduler looks at it on its reminder date.
        schedule.next_action_on = schedule.next_due
    db.session.commit()


def reminders() -> list[Reminder]:
    """Every reminder, oldest first, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(Reminder).order_by(Reminder.id)))
