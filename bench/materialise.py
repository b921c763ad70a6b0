"""The materialise pass at country size: idle and busy passes, one process and two, old and new.

    .venv/bin/python bench/materialise.py                        # 10k, 100k, 1M schedules
    .venv/bin/python bench/materialise.py --sizes 10000          # quick, under a minute
    .venv/bin/python bench/materialise.py --sizes 10000000 --days 0   # idle pass only at 10M

Options: --sizes (schedules; default 10000,100000,1000000), --days (simulated days, default 182),
--step (days between simulated passes, default 1), --old-ref (a git ref whose materialiser runs
on the same scenario for comparison, default e051e17, the code before issue 14; "" skips it),
--server URL (PostgreSQL server, default postgresql+psycopg://postgres@127.0.0.1:5432; the bench
creates and drops its own databases bench_mat_*).

The scenario, per size N: N/6 owners, each with one dishwasher of six tasks (monthly, quarterly,
half-yearly and two yearly, due dates spread over each task's interval, and a yearly calendar
task that falls due for every unit on the busy day, as "descale every April" would). 30 % of
owners do every task when it falls due; 70 % never act. Then it simulates `--days` of passes
every `--step` days with this code: materialise, every pending reminder marked sent (what
dispatch does), the active owners' due tasks marked done. That builds up what six months of
ignored tasks leave behind.
Then it times, on copies of that database (CREATE DATABASE ... TEMPLATE):
  busy: the first pass of the busy day: the calendar task due for every unit, and that day's
        reminders, follow-ups and roll-overs;
  idle: a second pass at the same moment (nothing new is due);
  two:  the busy pass by two processes at once, each with its share and its wall time;
  old:  the materialiser of --old-ref on the same scenario, its state built in SQL as that code
        leaves it (an ignored task keeps its first due date, its reminder and its follow-up sent),
        timed for the busy and the idle pass, so old and new are measured in the same run.
With --days 0 the schedules are built with their next action in the future (the state a pass
leaves) and only the idle pass is timed: simulating six months at 10M takes hours.
Targets (issue 14): idle at 10M within 2x of 10k and under a second; busy at 1M at least 10x
faster than the old code; two processes each do about half.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
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


# --- the simulation ---------------------------------------------------------------------------

_INTERVAL_SQL = (
    "CASE t.task_key "
    + " ".join(
        f"WHEN '{key}' THEN interval '{every[1:-1]} {dict(M='month', Y='year')[every[-1]]}'"
        for key, every, _ in TASKS
    )
    + " ELSE interval '1 year' END"
)


def simulate(url: str, days: int, step: int) -> date:
    """Run this code's passes over `days`; the active owners act, dispatch marks sent.

    Passes go every `step` days, the last one on the day before the day returned: the pass
    timed on that day is the first of a day, which does a whole day's work (next actions are
    dates, so a scheduler's first pass after midnight finds the day's reminders, follow-ups and
    roll-overs, and its passes every five minutes after that find nothing new).
    """
    from sqlalchemy import text

    from maintenance.extensions import db
    from maintenance.services.reminders.materialise import materialise_due

    app = make_app(url)
    day = START
    with app.app_context():
        last = START + timedelta(days=days - 1)
        while day <= last:
            started = time.perf_counter()
            result = materialise_due(at(day))
            passed = time.perf_counter() - started
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE reminder SET status = 'sent', sent_at = :now, attempts = 1 "
                        "WHERE status = 'pending'"
                    ),
                    {"now": at(day)},
                )
                _active_owners_act(conn, day)
            # New connections for the next day, as a scheduler restarted now and then has: a
            # connection keeps the foreign-key checks' plans it made while the outbox was
            # empty (a sequential scan of `reminder`), which at 100k reminders cost 3 ms a row.
            db.session.remove()
            db.engine.dispose()
            print(
                f"  {day}: {result.reminders:>7} reminders, {result.follow_ups:>6} follow-ups,"
                f" {result.missed:>7} missed  ({passed:.1f} s; with the owners' part"
                f" {time.perf_counter() - started:.1f} s)",
                flush=True,
            )
            day = min(day + timedelta(days=step), last) if day < last else last + timedelta(1)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return day


def _active_owners_act(conn: Any, day: date) -> None:
    """The active owners do each task that is due, on the day of the pass."""
    from sqlalchemy import text

    conn.execute(
        text(
            f"""WITH done AS (
                   UPDATE task_schedule AS t SET next_due = CAST(:day AS date) + {_INTERVAL_SQL},
                       next_action_on = CAST(:day AS date) + {_INTERVAL_SQL},
                       last_done_on = :day, missed_in_row = 0, snoozed_until = NULL,
                       follow_up_sent_on = NULL
                   FROM ownership AS o
                   WHERE o.unit_id = t.unit_id AND o.owner_id % 10 < {ACTIVE_SHARE}
                       AND t.next_due <= :day
                   RETURNING t.unit_id, t.task_key, t.version_id, o.owner_id)
               INSERT INTO maintenance_log (unit_id, task_key, version_id, action, done_on,
                   logged_at, owner_id, source)
               SELECT unit_id, task_key, version_id, 'done', :day, :now, owner_id, 'page'
               FROM done"""
        ),
        {"day": day, "now": at(day)},
    )


def old_state(url: str, day: date) -> None:
    """The scenario as the old materialiser leaves it on `day`, its last pass the day before.

    An ignored task keeps its first due date, with its reminder and (a week later) its one
    follow-up sent; an active owner's task is due next on its first occurrence from the last
    pass on. Each reminder is its own row, as the old code's per-task reminders were.
    """
    from sqlalchemy import create_engine, text

    last = day - timedelta(days=1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""UPDATE task_schedule AS t
                    SET next_due = t.next_due + {_INTERVAL_SQL} * CEIL(
                        (CAST(:last AS date) - t.next_due + 1)
                        / CAST(EXTRACT(EPOCH FROM {_INTERVAL_SQL}) / 86400 AS numeric)),
                        next_action_on = NULL
                    FROM ownership AS o
                    WHERE o.unit_id = t.unit_id AND o.owner_id % 10 < {ACTIVE_SHARE}
                        AND t.next_due <= :last"""
            ),
            {"last": last},
        )
        for kind, shift in (("due", 0), ("follow-up", 7)):
            conn.execute(
                text(
                    """WITH made AS (
                           INSERT INTO reminder (dedupe_key, owner_id, channel, kind, send_on,
                               status, attempts, next_attempt_at, created_at, sent_at)
                           SELECT 'old:' || :kind || ':' || t.id, o.owner_id, 'email', :kind,
                               t.next_due + :shift, 'sent', 1, :now, :now, :now
                           FROM task_schedule t JOIN ownership o ON o.unit_id = t.unit_id
                           WHERE o.owner_id % 10 >= :active
                               AND t.next_due + :shift <= :last
                           RETURNING id, dedupe_key, send_on)
                       INSERT INTO reminder_item (reminder_id, schedule_id, due_on)
                       SELECT id, CAST(split_part(dedupe_key, ':', 3) AS integer),
                           send_on - :shift
                       FROM made"""
                ),
                {
                    "kind": kind,
                    "shift": shift,
                    "last": last,
                    "now": at(last),
                    "active": ACTIVE_SHARE,
                },
            )
        conn.execute(
            text(
                """UPDATE task_schedule AS t SET follow_up_sent_on = t.next_due + 7
                   FROM ownership AS o
                   WHERE o.unit_id = t.unit_id AND o.owner_id % 10 >= :active
                       AND t.next_due + 7 <= :last"""
            ),
            {"last": last, "active": ACTIVE_SHARE},
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()


# --- timed passes in their own processes -----------------------------------------------------


def worker(url: str, now: str, start_at: float) -> None:
    """One pass of whichever materialiser is on the path; prints its result and seconds."""
    from dataclasses import asdict

    from maintenance.services.reminders.materialise import materialise_due

    app = make_app(url)
    with app.app_context():
        from maintenance.extensions import db

        db.session.execute(__import__("sqlalchemy").text("SELECT 1"))  # connect before timing
        db.session.rollback()
        time.sleep(max(0.0, start_at - time.time()))
        started = time.perf_counter()
        result = materialise_due(datetime.fromisoformat(now))
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, **asdict(result)}))


def timed(url: str, now: datetime, processes: int = 1, code: Path | None = None) -> list[dict]:
    """Run the pass in `processes` processes at once (with the code under `code`)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    start_at = time.time() + 3.0
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, now.isoformat(), str(start_at)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=str(code or ROOT),
        )
        for _ in range(processes)
    ]
    results = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"a pass failed (exit {child.returncode})")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


def old_code(ref: str) -> Path:
    """The maintenance package as it was at `ref`, in a temporary directory."""
    target = Path(tempfile.mkdtemp(prefix="bench-old-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "maintenance"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


# --- the run ----------------------------------------------------------------------------------


def run_size(server: str, size: int, days: int, step: int, old: Path | None) -> dict[str, Any]:
    """Build, simulate and time one size; the figures."""
    name = f"bench_mat_{size}"
    print(f"== {size:,} schedules", flush=True)
    started = time.perf_counter()
    url = fresh(server, name)
    build(url, size, peak=START + timedelta(days=max(days, 1)), future_only=days == 0)
    figures: dict[str, Any] = {"size": size, "build_seconds": time.perf_counter() - started}
    if days == 0:
        now = at(START)
        figures["idle"] = timed(url, now)[0]
        return figures
    if old is not None:
        old_url = fresh(server, f"{name}_old", template=name)
    started = time.perf_counter()
    day = simulate(url, days, step)
    figures["simulate_seconds"] = time.perf_counter() - started
    now = at(day)
    two_url = fresh(server, f"{name}_two", template=name)
    figures["busy"] = timed(url, now)[0]
    figures["idle"] = timed(url, now + timedelta(minutes=5))[0]
    figures["two"] = timed(two_url, now, processes=2)
    admin(server, f"DROP DATABASE IF EXISTS {name}_two")
    if old is not None:
        old_state(old_url, day)
        figures["old_busy"] = timed(old_url, now, code=old)[0]
        figures["old_idle"] = timed(old_url, now + timedelta(minutes=5), code=old)[0]
        admin(server, f"DROP DATABASE IF EXISTS {name}_old")
    return figures


def report(figures: list[dict[str, Any]]) -> None:
    """Print the table docs/benchmarks.md quotes."""
    print(
        "\nschedules   | busy pass (actions)          | idle pass | 2 processes: wall, shares"
        " | old busy | old idle | busy old/new"
    )
    for f in figures:
        idle = f["idle"]["seconds"]
        line = f"{f['size']:>11,} | "
        if "busy" in f:
            busy = f["busy"]
            actions = busy["reminders"] + busy["follow_ups"] + busy["missed"]
            line += (
                f"{busy['seconds']:7.2f} s ({busy['reminders']:,} reminders, "
                f"{busy['missed']:,} missed; {actions / busy['seconds']:,.0f}/s) | "
            )
        else:
            line += " " * 29 + "| "
        line += f"{idle:7.3f} s | "
        if "two" in f:
            walls = [r["seconds"] for r in f["two"]]
            made = [r["reminders"] for r in f["two"]]
            total = sum(made) or 1
            shares = ", ".join(f"{m / total:.0%}" for m in made)
            line += f"{max(walls):6.2f} s, {shares} | "
        if "old_busy" in f:
            old_busy, old_idle = f["old_busy"]["seconds"], f["old_idle"]["seconds"]
            ratio = old_busy / f["busy"]["seconds"]
            line += f"{old_busy:7.2f} s | {old_idle:7.2f} s | {ratio:5.1f}x"
        print(line)
    idles = {f["size"]: f["idle"]["seconds"] for f in figures}
    if len(idles) > 1:
        low, high = min(idles), max(idles)
        print(f"idle at {high:,} / idle at {low:,}: {idles[high] / idles[low]:.2f}x")


def main() -> None:
    """Parse the options and run every size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--days", type=int, default=182)
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--old-ref", default="e051e17")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "NOW", "START_AT"))
    options = parser.parse_args()
    if options.worker:
        url, now, start_at = options.worker
        worker(url, now, float(start_at))
        return
    old = old_code(options.old_ref) if options.old_ref and options.days else None
    figures = []
    for size in (int(text) for text in options.sizes.split(",")):
        figures.append(run_size(options.server, size, options.days, options.step, old))
        print(json.dumps(figures[-1]), flush=True)
    report(figures)


if __name__ == "__main__":
    main()
