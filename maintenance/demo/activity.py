"""A year of made-up activity for demos and benchmarks: units, scans, owners, reminders, tasks."""

# Rows go in with bulk inserts (one statement per table and chunk), so 10,000 units and their
# year take seconds. Owners get addresses under example.invalid, which no mail server accepts.

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter

import click
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.demo.data import COORDINATOR, RETAILER, demo_gtin
from maintenance.demo.year import Year, bulk
from maintenance.extensions import db
from maintenance.models import (
    Consent,
    Event,
    MaintenanceLog,
    ModelGtin,
    Ownership,
    ProductModel,
    ScanEvent,
    Unit,
)
from maintenance.services.accounts import get_or_create_organisation
from maintenance.services.catalog import current_version_for_model

OTHER_MANUFACTURER = "Ander Merk Huishoudelijk B.V."
OTHER_RETAILER = "Witgoed Winkel Amsterdam"
# (GTIN body, brand, model, category): the other manufacturer's models.
OTHER_MODELS = (
    ("871234500101", "Ander", "Droog 7", "tumble-dryer"),
    ("871234500102", "Ander", "Zuig Robot R2", "robot-vacuum"),
    ("871234500103", "Ander", "Was 9 Plus", "washing-machine"),
)


@dataclass
class Generated:
    """What was made, for the command's output."""

    units: int = 0
    scans: int = 0
    owners: int = 0
    events: int = 0
    logs: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@transactional
def _catalogue() -> tuple[list[ProductModel], list[int]]:
    """The demo models plus another manufacturer's; the two retailers' ids."""
    other = get_or_create_organisation(OTHER_MANUFACTURER, "manufacturer")
    for body, brand, name, category in OTHER_MODELS:
        gtin = demo_gtin(body)
        if db.session.get(ModelGtin, gtin) is None:
            model = ProductModel(organisation=other, brand=brand, name=name, category=category)
            model.gtins.append(ModelGtin(gtin=gtin))
            db.session.add(model)
    get_or_create_organisation(COORDINATOR, "coordinator")
    shops = [
        get_or_create_organisation(RETAILER, "retailer").id,
        get_or_create_organisation(OTHER_RETAILER, "retailer").id,
    ]
    db.session.flush()
    models = [
        model
        for model in db.session.scalars(select(ProductModel).order_by(ProductModel.id))
        if current_version_for_model(model) is not None and model.gtins
    ]
    return models, shops


@transactional
def generate_activity(
    today: date, units: int = 10_000, seed: int = 1, days: int = 365
) -> Generated:
    """Make `units` units sold over the last `days` days and a realistic year around them."""
    models, shops = _catalogue()
    if not models:
        raise ValueError("no models with a protocol: run `maintenance demo` first")
    prefix = f"G{seed % 1000:03d}"
    taken = db.session.scalar(select(Unit.id).where(Unit.serial.like(f"{prefix}%")).limit(1))
    if taken is not None:
        raise ValueError(f"activity with seed {seed} exists already; pick another --seed")
    year = Year(today, days, random.Random(seed), prefix, models, shops)
    year.sell(units)
    year.scan_and_sign_up()
    year.open_model_pages(units // 10)
    ownerships, consents = year.keep_up()
    bulk(Ownership.__table__, ownerships)
    bulk(Consent.__table__, consents)
    bulk(ScanEvent.__table__, year.scans)
    bulk(Event.__table__, year.events)
    # One log per unit, task, action and day, as the service keeps it.
    unique_logs = {(r["unit_id"], r["task_key"], r["action"], r["done_on"]): r for r in year.logs}
    bulk(MaintenanceLog.__table__, list(unique_logs.values()))
    result = Generated(
        units=len(year.unit_rows),
        scans=len(year.scans),
        owners=len(year.owners),
        events=len(year.events),
        logs=len(unique_logs),
    )
    for row in year.events:
        result.counts[row["kind"]] = result.counts.get(row["kind"], 0) + 1
    return result


@click.command("generate-activity")
@click.option("--units", default=10_000, show_default=True, help="Units to make.")
@click.option("--seed", default=1, show_default=True, help="Random seed; one run per seed.")
@click.option("--days", default=365, show_default=True, help="How far back sales go.")
def generate_activity_command(units: int, seed: int, days: int) -> None:
    """Make a year of activity (units, scans, sign-ups, reminders, tasks) for the dashboards."""
    from pathlib import Path

    from maintenance.clock import service_today
    from maintenance.config import ROOT
    from maintenance.demo.data import load_demo

    for _line in load_demo(Path(ROOT / "protocols" / "library")):
        pass  # the demo catalogue and logins, quietly (safe to run again)
    started = perf_counter()
    try:
        made = generate_activity(service_today(), units=units, seed=seed, days=days)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"made {made.units} units, {made.scans} scans, {made.owners} owners, "
        f"{made.events} events, {made.logs} maintenance logs in {perf_counter() - started:.1f} s"
    )
    for kind, count in sorted(made.counts.items()):
        click.echo(f"  {kind:20} {count}")
