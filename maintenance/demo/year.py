"""The made-up year itself: sales, scans, sign-ups, reminders and what owners did about them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from maintenance.extensions import db
from maintenance.models import Owner, ProductModel, Task, Unit
from maintenance.services.catalog import current_version_for_model
from maintenance.services.due_dates import TaskRule, first_due, next_due_after_done
from maintenance.services.events import UnitFacts, event_row

CHUNK = 5_000


def at(day: date, rng: random.Random) -> datetime:
    """A moment in the day, in UTC."""
    return datetime.combine(day, time(8 + rng.randrange(12), rng.randrange(60)), tzinfo=UTC)


def bulk(table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows in chunks with executemany."""
    connection = db.session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def _occurrences(task: Task, start: date, today: date) -> Iterator[date]:
    """Due dates of a task from the sale date up to today, as if each was done when due."""
    rule = TaskRule.from_task(task)
    due = first_due(rule, start)
    while due <= today:
        yield due
        following = next_due_after_done(rule, start=start, due=due, done_on=due)
        if following <= due:
            return  # a rule that does not move on would loop forever
        due = following


@dataclass
class Year:
    """One seeded story, told in a fixed order so that a seed always makes the same year."""

    today: date
    days: int
    rng: random.Random
    prefix: str
    models: list[ProductModel]
    shops: list[int]
    unit_rows: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    scans: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    owners: list[dict[str, Any]] = field(default_factory=list)
    # (owner email, unit row, channel, confirmed day)
    confirmed: list[tuple[str, dict[str, Any], str, date]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[int, ProductModel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Models by id, for the events."""
        self.by_id = {model.id: model for model in self.models}

    @property
    def first_day(self) -> date:
        """The first day sales may fall on."""
        return self.today - timedelta(days=self.days)

    @property
    def weights(self) -> list[float]:
        """Popular models sell more: the first models get the largest share."""
        return [1 / (1 + index) for index in range(len(self.models))]

    def sell(self, units: int) -> None:
        """Units sold on random days, most of them by the first shop."""
        rng = self.rng
        for n in range(units):
            model = rng.choices(self.models, self.weights)[0]
            sold = self.first_day + timedelta(days=rng.randrange(self.days))
            self.unit_rows.append(
                {
                    "gtin": model.gtins[0].gtin,
                    "serial": f"{self.prefix}{n:07d}",
                    "product_model_id": model.id,
                    "retailer_id": self.shops[0] if rng.random() < 0.6 else self.shops[1],
                    "sold_on": sold,
                    "created_at": at(sold, rng),
                    "labels_printed": 2 if rng.random() < 0.05 else 1,
                }
            )
        bulk(Unit.__table__, self.unit_rows)
        self.ids = {
            serial: unit_id
            for serial, unit_id in db.session.execute(
                select(Unit.serial, Unit.id).where(Unit.serial.like(f"{self.prefix}%"))
            )
        }

    def event(self, kind: str, unit: dict[str, Any] | None, day: date, **extra: Any) -> None:
        """One anonymous event row, as the service records it, filled in from the unit's model."""
        facts = None
        if unit is not None:
            model = self.by_id[unit["product_model_id"]]
            facts = UnitFacts(
                self.ids[unit["serial"]],
                model.id,
                model.organisation_id,
                unit["retailer_id"],
                model.category,
            )
        self.events.append(event_row(kind, facts=facts, day=day, at=at(day, self.rng), **extra))

    def scan_and_sign_up(self) -> None:
        """Most labels get scanned; some scanners sign up and most of those confirm."""
        rng = self.rng
        for unit in self.unit_rows:
            if rng.random() < 0.35:
                continue  # never scanned: the label went unnoticed
            first_scan = unit["sold_on"] + timedelta(days=rng.randrange(30))
            if first_scan > self.today:
                continue
            for offset in [0] + [rng.randrange(1, 300) for _ in range(rng.randrange(4))]:
                day = first_scan + timedelta(days=offset)
                if day <= self.today:
                    self.scans.append(_scan(unit["gtin"], self.ids[unit["serial"]], unit, day, rng))
            if rng.random() >= 0.45:
                continue
            channel = "email" if rng.random() < 0.8 else "sms"
            self.event("signup", unit, first_scan, channel=channel)
            if rng.random() >= 0.85:
                continue
            day = min(first_scan + timedelta(days=rng.randrange(2)), self.today)
            email = f"gen-{self.prefix.lower()}-{len(self.owners)}@example.invalid"
            self.owners.append(_owner(email, verified=at(day, rng), created=at(first_scan, rng)))
            self.event("confirmed", unit, day, channel=channel)
            self.confirmed.append((email, unit, channel, day))

    def open_model_pages(self, count: int) -> None:
        """Model pages opened from a link or a box, without a unit."""
        for _ in range(count):
            model = self.rng.choices(self.models, self.weights)[0]
            day = self.first_day + timedelta(days=self.rng.randrange(self.days))
            row = {"product_model_id": model.id}
            self.scans.append(_scan(model.gtins[0].gtin, None, row, day, self.rng, "web"))

    def keep_up(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Confirmed owners get reminders and do, skip or ignore their tasks; some leave."""
        bulk(Owner.__table__, self.owners)
        owner_ids: dict[str, int] = {
            email: owner_id
            for email, owner_id in db.session.execute(
                select(Owner.email, Owner.id).where(
                    Owner.email.like(f"gen-{self.prefix.lower()}-%")
                )
            )
        }
        versions = {model.id: current_version_for_model(model) for model in self.models}
        ownerships: list[dict[str, Any]] = []
        consents: list[dict[str, Any]] = []
        rng = self.rng
        for email, unit, channel, since in self.confirmed:
            owner_id = owner_ids[email]
            ended: date | None = None
            stop = self.today
            if rng.random() < 0.03:
                stop = min(since + timedelta(days=rng.randrange(30, 300)), self.today)
                self.event("unsubscribed", None, stop, channel=channel)
            elif rng.random() < 0.02:
                ended = stop = min(since + timedelta(days=rng.randrange(30, 300)), self.today)
                self.event("ownership_ended", unit, ended)
            ownerships.append(
                {
                    "owner_id": owner_id,
                    "unit_id": self.ids[unit["serial"]],
                    "role": "owner",
                    "started_at": at(since, rng),
                    "ended_at": at(ended, rng) if ended else None,
                }
            )
            consents.append(
                {
                    "owner_id": owner_id,
                    "channel": "email",
                    "text_version": "reminders-v1",
                    "source": "unit-page",
                    "given_at": at(since, rng),
                }
            )
            version = versions[unit["product_model_id"]]
            assert version is not None, "every generated model has a published protocol"
            for task in version.tasks:
                for due in _occurrences(task, unit["sold_on"], stop):
                    if due >= since:
                        self.remind(unit, owner_id, channel, task.key, version.id, due, stop)
        return ownerships, consents

    def remind(
        self,
        unit: dict[str, Any],
        owner_id: int,
        channel: str,
        task_key: str,
        version_id: int,
        due: date,
        stop: date,
    ) -> None:
        """One reminder and what the owner did about it."""
        rng = self.rng
        common = {"task_key": task_key, "version_id": version_id, "due_on": due}
        self.event("reminder_sent", unit, due, channel=channel, **common)
        delivered = rng.random() < 0.96
        kind = "reminder_delivered" if delivered else "reminder_failed"
        self.event(kind, unit, due, channel=channel, **common)
        roll = rng.random()
        if roll < 0.15:
            self.event("task_snoozed", unit, due + timedelta(days=rng.randrange(4)), **common)
            roll = rng.random()
        if roll < 0.45 and delivered:
            kind, day, via_link = "task_done", due + timedelta(days=rng.randrange(14)), True
        elif roll < 0.7:
            kind, day, via_link = "task_done", due + timedelta(days=rng.randrange(-10, 60)), False
        elif roll < 0.8:
            kind, day, via_link = "task_skipped", due + timedelta(days=rng.randrange(10)), False
        else:
            return  # not done, not answered
        if day > stop:
            return
        self.event(kind, unit, day, from_reminder=via_link, **common)
        self.logs.append(
            {
                "unit_id": self.ids[unit["serial"]],
                "task_key": task_key,
                "version_id": version_id,
                "action": "done" if kind == "task_done" else "skipped",
                "done_on": day,
                "logged_at": at(day, rng),
                "owner_id": owner_id,
                "source": "reminder" if via_link else "page",
            }
        )


def _scan(
    gtin: str,
    unit_id: int | None,
    row: dict[str, Any],
    day: date,
    rng: random.Random,
    source: str = "qr",
) -> dict[str, Any]:
    """One scan row."""
    return {
        "gtin": gtin,
        "unit_id": unit_id,
        "product_model_id": row["product_model_id"],
        "day": day,
        "source": source,
        "at": at(day, rng),
    }


def _owner(email: str, verified: datetime, created: datetime) -> dict[str, Any]:
    """One confirmed email owner with the defaults a sign-up gets."""
    return {
        "email": email,
        "email_verified_at": verified,
        "channel": "email",
        "language": "nl",
        "time_zone": "Europe/Amsterdam",
        "preferred_hour": 9,
        "digest": True,
        "paused": False,
        "created_at": created,
    }
