"""The materialise bench's scenario and databases: the protocol, owners and schedules in bulk SQL.

Databases are made and dropped on the server (admin, fresh); build fills one for a size.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TASKS = (("clean-filter", "P1M", 30), ("refill-salt", "P3M", 91), ("clean-spray-arms", "P6M", 182))
TASKS += (("clean-door-seal", "P1Y", 365), ("check-hoses", "P1Y", 365))
PEAK_TASK = "maintenance-wash"
START = date(2026, 6, 1)
# 06:00 UTC: 08:00 in Amsterdam in summer, before the 09:00 send hour.
PASS_HOUR = 6
ACTIVE_SHARE = 3  # owners with id % 10 below this do every task when it is due


def protocol_document(peak: date) -> str:
    """The bench protocol: a dishwasher default with the five tasks and a yearly calendar one.

    The calendar task (a maintenance wash every year on the day of `peak`) falls due for every
    unit on the same day: the busy day the bench times, like "descale every April".
    """
    tasks: list[dict[str, Any]] = [
        {
            "id": key,
            "title": {"nl": f"Taak {key}", "en": f"Task {key}"},
            "why": {"nl": "Gaat langer mee.", "en": "Lasts longer."},
            "every": every,
            "duration": "PT10M",
            "difficulty": "easy",
            "steps": [{"nl": "Stap een.", "en": "Step one."}],
        }
        for key, every, _ in TASKS
    ]
    tasks.append(
        {
            "id": PEAK_TASK,
            "title": {"nl": "Onderhoudswas", "en": "Maintenance wash"},
            "why": {"nl": "Gaat langer mee.", "en": "Lasts longer."},
            "rrule": f"FREQ=YEARLY;BYMONTH={peak.month};BYMONTHDAY={peak.day}",
            "duration": "PT10M",
            "difficulty": "easy",
            "steps": [{"nl": "Stap een.", "en": "Step one."}],
        }
    )
    return json.dumps(
        {
            "format": "maintenance-protocol/1",
            "category": "dishwasher",
            "title": {"nl": "Onderhoud vaatwasser", "en": "Dishwasher maintenance"},
            "tasks": tasks,
        }
    )


def at(day: date) -> datetime:
    """The moment of a pass on a day."""
    return datetime(day.year, day.month, day.day, PASS_HOUR, tzinfo=UTC)


# --- databases --------------------------------------------------------------------------------


def admin(server: str, *statements: str) -> None:
    """Run statements outside a transaction on the server's postgres database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def fresh(server: str, name: str, template: str | None = None) -> str:
    """Drop and create a database (from a template when given); its URL."""
    source = f" TEMPLATE {template}" if template else ""
    if template:
        # A template must have no sessions; the bench's own idle pools may still hold one.
        admin(
            server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{template}' AND pid <> pg_backend_pid()",
        )
    admin(server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}{source}")
    return f"{server}/{name}"


def make_app(url: str) -> Any:
    """An app on the database, logging only warnings."""
    import logging

    from maintenance import create_app
    from maintenance.config import Config

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="WARNING")
    logging.getLogger("maintenance").setLevel(logging.WARNING)
    return app


def build(url: str, size: int, *, peak: date, future_only: bool) -> dict[str, Any]:
    """Migrate, publish the protocol, and fill owners, units and schedules in bulk SQL."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from maintenance.extensions import db
    from maintenance.models import ModelGtin, Organisation, ProductModel, ProtocolVersion
    from maintenance.services.protocols import load_protocol
    from maintenance.services.protocols.publish import publish_protocol

    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        publish_protocol(load_protocol(protocol_document(peak).encode(), filename="bench.json"))
        model = ProductModel(
            organisation=Organisation(name="Bench maker", kind="manufacturer"),
            brand="Bench",
            name="VW 1",
            category="dishwasher",
        )
        model.gtins.append(ModelGtin(gtin="08712345000011"))
        db.session.add(model)
        db.session.commit()
        version_id = db.session.scalar(select(ProtocolVersion.id))
        owners = size // (len(TASKS) + 1)
        params = {
            "owners": owners,
            "model": model.id,
            "version": version_id,
            "start": START,
            "now": at(START),
            "keys": [key for key, _, _ in TASKS],
            "days": [days for _, _, days in TASKS],
            "peak": peak,
            "peak_key": PEAK_TASK,
            # With --days 0 every due date lies ahead: the state a pass leaves behind.
            "offset": 1 if future_only else 0,
        }
        statements = [
            """INSERT INTO unit (id, gtin, serial, product_model_id, sold_on, created_at,
                   labels_printed)
               SELECT n, '08712345000011', 'B' || n, :model, CAST(:start AS date) - 400, :now, 1
               FROM generate_series(1, :owners) AS n""",
            """INSERT INTO owner (id, email, email_verified_at, channel, language, time_zone,
                   preferred_hour, digest, paused, created_at, session_secret)
               SELECT n, 'bench' || n || '@example.test', :now, 'email', 'nl',
                   'Europe/Amsterdam', 9, true, false, :now, md5('bench' || n) || md5('' || n)
               FROM generate_series(1, :owners) AS n""",
            """INSERT INTO ownership (id, owner_id, unit_id, role, started_at)
               SELECT n, n, n, 'owner', :now FROM generate_series(1, :owners) AS n""",
            """INSERT INTO task_schedule (unit_id, task_key, version_id, start_on, next_due,
                   next_action_on)
               SELECT n, t.key, :version, CAST(:start AS date) - 400, d.due, d.due
               FROM generate_series(1, :owners) AS n
               CROSS JOIN unnest(CAST(:keys AS text[]), CAST(:days AS integer[]))
                   WITH ORDINALITY AS t(key, days, i)
               CROSS JOIN LATERAL (SELECT CAST(:start AS date) + :offset
                   + CAST((n * 7 + t.i * 3) % t.days AS integer) AS due) AS d""",
            """INSERT INTO task_schedule (unit_id, task_key, version_id, start_on, next_due,
                   next_action_on)
               SELECT n, :peak_key, :version, CAST(:start AS date) - 400, :peak, :peak
               FROM generate_series(1, :owners) AS n""",
            "SELECT setval('owner_id_seq', :owners)",
            "SELECT setval('unit_id_seq', :owners)",
            "SELECT setval('ownership_id_seq', :owners)",
            "ANALYZE",
        ]
        with db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params)
        db.engine.dispose()
    return params
