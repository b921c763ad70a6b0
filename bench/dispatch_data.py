"""The dispatch bench's database: the demo catalogue and bench rows filled in bulk SQL.

Per unit an owner with a verified email, an ownership, a schedule per task of its model's
protocol and a sent reminder from the past; one pending reminder for later per 20 units; and
the due reminders (digests of one or two tasks). reset_due puts those back after a run.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
FILL_CHUNK = 100_000  # bench units per statement set; each chunk commits whole
# Bench rows get explicit ids far above anything the demo creates, so they can be found again.
UNIT_BASE = 10_000_000  # unit, owner and ownership ids: UNIT_BASE + i
SCHEDULE_BASE = 100_000_000  # task_schedule ids: SCHEDULE_BASE + i * MAX_TASKS + task ordinal
MAX_TASKS = 16
HISTORY_BASE = 10_000_000  # reminder ids of past (sent) reminders
DUE_BASE = 20_000_000  # reminder ids of the due reminders
LATER_BASE = 30_000_000  # reminder ids of reminders pending for later
LATER_EVERY = 20
# A Monday 11:00 in Amsterdam: no quiet hours, every due reminder may go.
NOW = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)
DUE_DAY = NOW.date()


def prepare(app: Flask) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """Migrate and load the demo; per model with a protocol: (gtin, model id, [(task, version)])."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from maintenance.demo.data import load_demo
    from maintenance.extensions import db
    from maintenance.models import ModelGtin, ProductModel, Task
    from maintenance.services.catalog import current_version_for_model

    upgrade(directory=str(ROOT / "migrations"))
    list(load_demo(ROOT / "protocols" / "library"))
    models = []
    for model in db.session.scalars(select(ProductModel).order_by(ProductModel.id)):
        gtin = db.session.scalar(
            select(ModelGtin.gtin).where(ModelGtin.product_model_id == model.id).limit(1)
        )
        version = current_version_for_model(model)
        if gtin is None or version is None:
            continue
        tasks = db.session.scalars(
            select(Task).where(Task.version_id == version.id).order_by(Task.position)
        ).all()
        if len(tasks) >= 2:
            models.append((gtin, model.id, [(t.key, version.id) for t in tasks[:MAX_TASKS]]))
    db.session.rollback()
    if not models:
        sys.exit("the demo loaded no model with a protocol of two or more tasks")
    return models


def fill(
    connection: Connection,
    models: list[tuple[str, int, list[tuple[str, int]]]],
    units: int,
    due: int,
) -> None:
    """Add bench units 0..units-1 that are missing, with owners, schedules and reminders."""
    from sqlalchemy import text

    have = connection.execute(
        text("select count(*) from unit where id >= :a and id < :b"),
        {"a": UNIT_BASE, "b": UNIT_BASE + 10 * max(SIZES)},
    ).scalar_one()
    due_rows = connection.execute(
        text("select count(*) from reminder where id >= :a and id < :b"),
        {"a": DUE_BASE, "b": LATER_BASE},
    ).scalar_one()
    if due_rows != min(have, due):
        sys.exit(
            f"this database was filled with another --due ({due_rows}): use another database or"
            " drop it (psql -h 127.0.0.1 -U postgres -c 'drop database bench_dispatch')"
        )
    if have >= units:
        return
    connection.exec_driver_sql(
        "create temporary table if not exists bench_model"
        " (k int, gtin text, model_id int, shop int)"
    )
    connection.exec_driver_sql(
        "create temporary table if not exists bench_task"
        " (k int, ordinal int, task_key text, version_id int)"
    )
    connection.exec_driver_sql("truncate bench_model, bench_task")
    shop = connection.exec_driver_sql(
        "select id from organisation where kind = 'retailer' order by id limit 1"
    ).scalar()
    connection.execute(
        text("insert into bench_model values (:k, :gtin, :model, :shop)"),
        [{"k": k, "gtin": g, "model": m, "shop": shop} for k, (g, m, _) in enumerate(models)],
    )
    connection.execute(
        text("insert into bench_task values (:k, :ordinal, :key, :version)"),
        [
            {"k": k, "ordinal": ordinal, "key": key, "version": version}
            for k, (_, _, tasks) in enumerate(models)
            for ordinal, (key, version) in enumerate(tasks)
        ],
    )
    statements = [
        # Units, spread over the models.
        """insert into unit (id, gtin, serial, product_model_id, retailer_id, sold_on, created_at,
               labels_printed)
           select :ub + i, m.gtin, 'D' || lpad(i::text, 8, '0'), m.model_id, m.shop,
               date '2024-01-01' + (i % 365), :now, 1
           from generate_series(:a, :b - 1) i join bench_model m on m.k = i % :models""",
        # One verified email owner per unit, half Dutch, half English.
        """insert into owner (id, email, email_verified_at, channel, language, time_zone,
               preferred_hour, digest, paused, created_at, session_secret)
           select :ub + i, 'bench' || i || '@example.test', :now, 'email',
               case when i % 2 = 0 then 'nl' else 'en' end, 'Europe/Amsterdam', 9, true, false,
               :now, md5(i::text) || md5('bench' || i)
           from generate_series(:a, :b - 1) i""",
        """insert into ownership (id, owner_id, unit_id, role, started_at)
           select :ub + i, :ub + i, :ub + i, 'owner', :now from generate_series(:a, :b - 1) i""",
        # A schedule per task; the due units have their first (every third: first two) due today.
        """insert into task_schedule (id, unit_id, task_key, version_id, start_on, next_due,
               next_action_on)
           select :sb + i * :max_tasks + t.ordinal, :ub + i, t.task_key, t.version_id,
               date '2024-01-01',
               case when i < :due and t.ordinal < (case when i % 3 = 0 then 2 else 1 end)
                   then :due_day else date '2025-06-01' + (i % 365) end,
               case when i < :due and t.ordinal < (case when i % 3 = 0 then 2 else 1 end)
                   then :due_day else date '2025-06-01' + (i % 365) end
           from generate_series(:a, :b - 1) i join bench_task t on t.k = i % :models""",
        # The history: one sent reminder per owner, so the outbox holds as many rows as units.
        """insert into reminder (id, dedupe_key, owner_id, channel, kind, send_on, status,
               attempts, next_attempt_at, message_id, provider_id, created_at, sent_at)
           select :hb + i, 'bench-history:' || i, :ub + i, 'email', 'due',
               date '2024-06-01' + (i % 250), 'sent', 1,
               timestamptz '2024-06-01 08:00+00' + (i % 250) * interval '1 day',
               '<bench.' || i || '@maintenance.test>', '<bench.' || i || '@maintenance.test>',
               :now, timestamptz '2024-06-01 08:00+00' + (i % 250) * interval '1 day'
           from generate_series(:a, :b - 1) i""",
        """insert into reminder_item (reminder_id, schedule_id, due_on)
           select :hb + i, :sb + i * :max_tasks, date '2024-06-01' + (i % 250)
           from generate_series(:a, :b - 1) i""",
        # Reminders waiting for a later send window: in the claim index, but not due.
        """insert into reminder (id, dedupe_key, owner_id, channel, kind, send_on, status,
               attempts, next_attempt_at, created_at)
           select :lb + i, 'bench-later:' || i, :ub + i, 'email', 'due', date '2025-06-01',
               'pending', 0, :now + interval '1 day' + (i % 1000) * interval '1 minute', :now
           from generate_series(:a, :b - 1) i where i % :later_every = 1""",
        """insert into reminder_item (reminder_id, schedule_id, due_on)
           select :lb + i, :sb + i * :max_tasks, date '2025-06-01' + (i % 365)
           from generate_series(:a, :b - 1) i where i % :later_every = 1""",
        # The due reminders: digests of the tasks due today, to send now.
        """insert into reminder (id, dedupe_key, owner_id, channel, kind, send_on, status,
               attempts, next_attempt_at, created_at)
           select :db + i, 'bench-due:' || i, :ub + i, 'email', 'due', :due_day, 'pending', 0,
               :due_at, :now
           from generate_series(:a, least(:b, :due) - 1) i""",
        """insert into reminder_item (reminder_id, schedule_id, due_on)
           select :db + i, :sb + i * :max_tasks + t.ordinal, :due_day
           from generate_series(:a, least(:b, :due) - 1) i
           join bench_task t on t.k = i % :models
           where t.ordinal < (case when i % 3 = 0 then 2 else 1 end)""",
    ]
    started = time.perf_counter()
    for a in range(have, units, FILL_CHUNK):
        b = min(a + FILL_CHUNK, units)
        values = {
            "a": a,
            "b": b,
            "ub": UNIT_BASE,
            "sb": SCHEDULE_BASE,
            "hb": HISTORY_BASE,
            "lb": LATER_BASE,
            "db": DUE_BASE,
            "max_tasks": MAX_TASKS,
            "models": len(models),
            "due": due,
            "due_day": DUE_DAY,
            "due_at": NOW - timedelta(hours=1),
            "now": NOW,
            "later_every": LATER_EVERY,
        }
        for statement in statements:
            connection.execute(text(statement), values)
        connection.commit()
        print(
            f"  filled {b:,} of {units:,} units ({time.perf_counter() - started:.0f} s)", flush=True
        )
    # Later inserts by the application must not collide with the explicit ids.
    for table in ("unit", "owner", "ownership", "task_schedule", "reminder", "reminder_item"):
        connection.exec_driver_sql(
            f"select setval(pg_get_serial_sequence('{table}', 'id'), (select max(id) from {table}))"
        )
    connection.commit()


def vacuum(connection: Connection) -> None:
    """VACUUM ANALYZE: fresh statistics and no dead rows from an earlier run or step."""
    autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
    autocommit.exec_driver_sql("vacuum analyze")


def reset_due(connection: Connection) -> None:
    """Put every due reminder back to pending, as materialise left it; forget earlier sends."""
    from sqlalchemy import text

    span = {"a": DUE_BASE, "b": LATER_BASE, "due_at": NOW - timedelta(hours=1)}
    connection.execute(
        text(
            "update reminder set status = 'pending', attempts = 0, lease_until = null,"
            " message_id = null, provider_id = null, last_error = null, sent_at = null,"
            " next_attempt_at = :due_at"
            " where id >= :a and id < :b and (status <> 'pending' or attempts <> 0)"
        ),
        span,
    )
    connection.execute(
        text("delete from delivery_event where reminder_id >= :a and reminder_id < :b"), span
    )
    connection.execute(text("delete from event where kind like :kind"), {"kind": "reminder%"})
    connection.execute(
        text(
            "update owner set email_suppressed_at = null, paused = false"
            " where id >= :a and id < :b and (email_suppressed_at is not null or paused)"
        ),
        {"a": UNIT_BASE, "b": UNIT_BASE + 10 * max(SIZES)},
    )
    connection.commit()
