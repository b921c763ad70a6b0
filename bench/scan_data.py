"""The scan bench's database: migrated, the demo loaded, bench units filled in bulk SQL.

Also where a bench unit's Digital Link path comes from (unit_path), for the loads and the profile.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parents[1]
SERIAL_PREFIX = "B"  # the demo's own units are DEMO0001..., so these never collide
FILL_CHUNK = 200_000  # units per INSERT ... SELECT, so progress shows and no one statement is huge


def prepare_database(url: str, units: int) -> list[str]:
    """Migrate, load the demo and fill to `units` bench units; the GTINs to spread requests over."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from maintenance import create_app
    from maintenance.config import Config
    from maintenance.demo.data import DEMO_MODELS, demo_gtin, load_demo
    from maintenance.extensions import db

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        list(load_demo(ROOT / "protocols" / "library"))
        gtins = [demo_gtin(body) for body, *_ in DEMO_MODELS]
        with db.engine.connect() as connection:
            fill_units(connection, gtins, units)
            total = connection.exec_driver_sql("select count(*) from unit").scalar_one()
        db.engine.dispose()
    print(f"database: {redact(url)}, {total:,} units")
    return gtins


def fill_units(connection: Connection, gtins: list[str], units: int) -> None:
    """Insert bench units 0..units-1 that are missing, in large INSERT ... SELECT statements."""
    from maintenance.models import ModelGtin, Organisation, Unit

    have = connection.execute(
        text("select count(*) from unit where serial like :prefix"),
        {"prefix": SERIAL_PREFIX + "%"},
    ).scalar_one()
    if have >= units:
        return
    models = {
        gtin: model_id
        for gtin, model_id in connection.execute(
            text(f"select gtin, product_model_id from {table(ModelGtin)}")
        )
    }
    shop = connection.execute(
        text(f"select id from {table(Organisation)} where kind = 'retailer' order by id")
    ).scalar()
    postgres = connection.dialect.name == "postgresql"
    # Series of unit numbers with a step, one per model, so each statement binds one GTIN.
    if postgres:
        series = "generate_series(:first, :stop - 1, :step) as s(i)"
        serial = f"'{SERIAL_PREFIX}' || lpad(i::text, 8, '0')"
        sold_on = "cast(:epoch as date) + (i % 2000)"
        prefix = ""
    else:
        prefix = (
            "with recursive s(i) as (select :first union all select i + :step from s"
            " where i + :step < :stop) "
        )
        series = "s"
        serial = f"printf('{SERIAL_PREFIX}%08d', i)"
        sold_on = "date(:epoch, '+' || (i % 2000) || ' days')"
    columns = Unit.__table__.c
    insert = text(
        f"{prefix}insert into {table(Unit)}"
        " (gtin, serial, product_model_id, retailer_id, sold_on, created_at, labels_printed)"
        f" select :gtin, {serial}, :model, :shop, {sold_on}, :now, 1 from {series}"
    ).bindparams(
        bindparam("now", type_=columns.created_at.type),
        bindparam("epoch", type_=columns.sold_on.type),
    )
    started = time.perf_counter()
    now = datetime.now(UTC)
    step = len(gtins)
    # Bench units are numbered densely from 0 and each chunk commits whole, so the count of
    # existing ones is where the last run stopped.
    for chunk in range(have, units, FILL_CHUNK):
        stop = min(chunk + FILL_CHUNK, units)
        for offset, gtin in enumerate(gtins):
            first = chunk + (offset - chunk) % step  # the first number from chunk of this GTIN
            if first >= stop:
                continue
            connection.execute(
                insert,
                {
                    "gtin": gtin,
                    "model": models[gtin],
                    "shop": shop,
                    "epoch": date(2020, 1, 1),
                    "now": now,
                    "first": first,
                    "stop": stop,
                    "step": step,
                },
            )
        connection.commit()
        print(f"  units {stop:,} of {units:,} ({time.perf_counter() - started:.0f} s)", flush=True)
    connection.exec_driver_sql("analyze")
    connection.commit()


def table(model: type) -> str:
    """The table name of a model class."""
    return model.__table__.name  # type: ignore[attr-defined]


def redact(url: str) -> str:
    """A database URL without its password, for printing."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def unit_path(gtins: list[str], number: int) -> str:
    """The Digital Link path of bench unit `number` (its GTIN is fixed by the number)."""
    return f"/01/{gtins[number % len(gtins)]}/21/{SERIAL_PREFIX}{number:08d}"
