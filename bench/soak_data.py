"""The soak's database: the bulk set-up, the waves of owners falling due, and the outbox.

Questions the run asks of the outbox while it waits (what is sent, what is in flight) are here too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
GTIN = "08712345678906"  # the soak's one product model (a dishwasher)
WAVES = 3


@dataclass
class Plan:
    """What the data looks like: which owners fall due in which wave."""

    units: int
    owners: int
    due: int
    zone: str
    today: date
    first_task: str
    tasks: int = 0

    def wave(self, n: int) -> tuple[int, int]:
        """Owner ids (inclusive range) whose first task falls due in wave n."""
        size = self.due // WAVES
        return n * size + 1, (n + 1) * size if n < WAVES - 1 else self.due


def midday_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is about 13:00 now, so no reminder meets the quiet hours."""
    offset = (13 - now.hour + 12) % 24 - 12  # hours east of UTC, -12..+11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def app_for(database_url: str, **env: str) -> Any:
    """The Flask app on the soak database, built from the same settings as the processes."""
    os.environ.update({"DATABASE_URL": database_url, **env})
    from maintenance import create_app

    return create_app()


def set_up(app: Any, units: int, owners: int, due: int) -> Plan:
    """Wipe the database, migrate, publish the library, then write the rows in bulk SQL."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from maintenance.demo.data import import_library
    from maintenance.extensions import db
    from maintenance.models import ModelGtin, Organisation, ProductModel, Task
    from maintenance.services.catalog import current_version_for_model

    now = datetime.now(UTC)
    zone = midday_zone(now)
    today = now.astimezone(ZoneInfo(zone)).date()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        import_library(ROOT / "protocols" / "library")
        maker = Organisation(name="Soak Appliances", kind="manufacturer")
        model = ProductModel(organisation=maker, brand="Soak", name="DW 1", category="dishwasher")
        model.gtins.append(ModelGtin(gtin=GTIN))
        db.session.add(model)
        db.session.commit()
        version = current_version_for_model(model)
        assert version is not None, "the library has no dishwasher protocol"
        keys = list(
            db.session.scalars(
                select(Task.key).where(Task.version_id == version.id).order_by(Task.position)
            )
        )
        plan = Plan(units, owners, due, zone, today, keys[0], len(keys))
        params = {
            "units": units,
            "owners": owners,
            "model": model.id,
            "version": version.id,
            "zone": zone,
            "today": today,
            "now": now,
            "first": keys[0],
            "keys": keys,
        }
        statements = [
            # Units: every one has a label; serials S1..SN.
            """INSERT INTO unit (gtin, serial, product_model_id, sold_on, created_at,
                   labels_printed)
               SELECT :gtin, 'S' || n, :model, CAST(:today AS date) - (n % 700), :now, 1
               FROM generate_series(1, :units) AS n""",
            # Owners 1..M own units 1..M, confirmed by email, sending at 08:00 local (past now).
            """INSERT INTO owner (email, email_verified_at, channel, language, time_zone,
                   preferred_hour, digest, paused, created_at, session_secret)
               SELECT 'owner' || n || '@soak.test', :now, 'email',
                   CASE WHEN n % 3 = 0 THEN 'en' ELSE 'nl' END, :zone, 8, true, false, :now,
                   md5(n::text)
               FROM generate_series(1, :owners) AS n""",
            """INSERT INTO ownership (owner_id, unit_id, role, started_at)
               SELECT n, n, 'owner', :now FROM generate_series(1, :owners) AS n""",
            # Every task of an owned unit is due some day 30..330 days ahead: not now.
            """INSERT INTO task_schedule (unit_id, task_key, version_id, start_on, next_due,
                   next_action_on)
               SELECT n, k.key, :version, CAST(:today AS date) - 30,
                   CAST(:today AS date) + 30 + CAST((n * 7 + k.i) % 300 AS integer),
                   CAST(:today AS date) + 30 + CAST((n * 7 + k.i) % 300 AS integer)
               FROM generate_series(1, :owners) AS n
               CROSS JOIN unnest(CAST(:keys AS text[])) WITH ORDINALITY AS k(key, i)""",
            "ANALYZE",
        ]
        with db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), {**params, "gtin": GTIN})
    release_wave(app, plan, 0)
    return plan


def release_wave(app: Any, plan: Plan, n: int) -> None:
    """Make the first task of wave n's units due today (as if their day had come)."""
    from sqlalchemy import text

    from maintenance.extensions import db

    low, high = plan.wave(n)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE task_schedule SET next_due = :today, next_action_on = :today "
                "WHERE unit_id BETWEEN :low AND :high AND task_key = :key"
            ),
            {"today": plan.today, "low": low, "high": high, "key": plan.first_task},
        )


class Outbox:
    """Questions about the reminder outbox, asked of the database."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        from maintenance.extensions import db

        with self.app.app_context(), db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def ids(self, sql: str, **params: Any) -> set[int]:
        from sqlalchemy import text

        from maintenance.extensions import db

        with self.app.app_context(), db.engine.connect() as conn:
            return set(conn.execute(text(sql), params).scalars())

    def sending(self) -> set[int]:
        return self.ids("SELECT id FROM reminder WHERE status = 'sending'")

    def sent_in(self, low: int, high: int) -> int:
        return self.scalar(
            "SELECT count(*) FROM reminder WHERE status = 'sent' AND owner_id BETWEEN :l AND :h",
            l=low,
            h=high,
        )

    def made_in(self, low: int, high: int) -> int:
        return self.scalar(
            "SELECT count(*) FROM reminder WHERE owner_id BETWEEN :l AND :h", l=low, h=high
        )

    def on_its_way(self, wave: int, plan: Plan) -> Callable[[], bool]:
        """A condition: the wave's first reminders are sent and others are claimed, in flight."""
        low, high = plan.wave(wave)
        return lambda: self.sent_in(low, high) > 0 and bool(self.sending())

    def open_work(self) -> int:
        return self.scalar(
            "SELECT count(*) FROM reminder WHERE status = 'sending' "
            "OR (status = 'pending' AND next_attempt_at <= now())"
        )
