"""Reminder dispatch end to end next to the raw SMTP sink; claim time by table size; APScheduler.

    .venv/bin/python bench/dispatch.py                          # 1,000,000 units, 10,000 due
    .venv/bin/python bench/dispatch.py --units 20000            # quick: 2,000 due, under a minute
    .venv/bin/python bench/dispatch.py --units 20000 --profile  # cProfile of end to end
    ... --profile-file /tmp/dispatch.prof                       # and its raw stats for pstats
    ... --units 20000 --compare 5                               # fast paths against library paths

Options: --units N (default 1,000,000), --due D (default min(10,000, N/10)), --batch-size
(default: the dispatcher's own, 200), --database-url URL (default: PostgreSQL database
`bench_dispatch` on 127.0.0.1; create it first with `psql -h 127.0.0.1 -U postgres -c 'create
database bench_dispatch'`), --apscheduler-jobs 10000,100000 (default D and 10*D; 0 skips that
part), --log-level (default INFO, as in production; the log goes to a file, not the terminal).

What it does: migrates the database and loads the demo catalogue (protocols, models), then fills
bench rows with bulk INSERT ... SELECT in steps of 10k, 100k and 1M units up to N: per unit an
owner with a verified email, an ownership, a schedule per task of its model's protocol and a
sent reminder from the past (so the outbox has as many rows as there are units), one pending
reminder for later per 20 units, and D reminders due now (digests of one or two tasks). At each
step it times one claim_batch of the usual batch size (median of several, each released again).
Then, at N, against a minimal SMTP sink in a separate process (asyncio; accepts and discards):
  raw:        D prebuilt reminder messages (bytes) over one connection of the channel's SMTP client
              (maintenance.notify.email.SmtpClient: smtplib with the channel's cheaper envelope
              and dot-stuffing, the same commands and bytes on the wire), so the baseline gains
              every saving in the client that end to end gains;
  end to end: dispatch_once() for the D due reminders: claim, load, render, build MIME, send over
              one connection per batch, mark sent - the code the scheduler runs.
The sink counts what it receives; the bench checks every due reminder arrived exactly once.
Last, the rejected design: one APScheduler 3 date job per reminder in a SQLAlchemy job store on
the same database: time and memory to add them, the wake-up lookup (get_due_jobs for the due
ones + get_next_run_time) and the scheduler running the due jobs (a no-op job body, so only its
own bookkeeping counts). A rerun reuses the filled rows and resets the due reminders; a run with
another --due (a quick run after a full one) needs another --database-url or a fresh database.
Targets (issue 5): end to end at least 50 % of raw SMTP; claim at 1M within 2x of 10k.
Only 127.0.0.1 is used; the sink process is stopped on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import re
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dispatch"
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
CLAIM_REPEATS = 15
SINK_TIMEOUT = 30.0  # seconds for the sink to come up / answer
APSCHEDULER_RUN_TIMEOUT = 300.0  # seconds for the scheduler to run the due jobs
APSCHEDULER_TABLE = "bench_apscheduler_jobs"
TARGET_SHARE = 0.50
TARGET_CLAIM_RATIO = 2.0

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Connection

    from maintenance.notify import EmailMessage


# --- the SMTP sink ----------------------------------------------------------------------------


class SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to accept messages and discard them; XSTA reports the count and bytes."""

    count = 0
    size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0  # where to look for the end of DATA next, so no byte is scanned twice
        self.transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n", self.scanned)
                if end < 0:
                    self.scanned = max(0, len(self.buffer) - 4)
                    return
                SinkProtocol.count += 1
                SinkProtocol.size += end
                del self.buffer[: end + 5]
                self.in_data, self.scanned = False, 0
                self.transport.write(b"250 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: end + 2]
            self.transport.write(self.reply(verb))
            if verb == b"QUIT":
                self.transport.close()
                return

    def reply(self, verb: bytes) -> bytes:
        """The answer to one command line."""
        if verb == b"EHLO":
            return b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        if verb == b"DATA":
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"QUIT":
            return b"221 Bye\r\n"
        if verb == b"XSTA":
            return f"250 {SinkProtocol.count} {SinkProtocol.size}\r\n".encode()
        if verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            return b"250 OK\r\n"
        return b"500 Unknown command\r\n"


def serve_sink() -> None:
    """Run the sink on a free loopback port; print the port; stop when stdin closes."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(SinkProtocol, HOST, 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        # The parent holds our stdin: when it goes away (even killed), so do we.
        await loop.run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(main())


@contextlib.contextmanager
def sink_process() -> Iterator[int]:
    """Start the sink in its own process; its port. Stopped on exit."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--sink"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            sys.exit("the SMTP sink did not start")
        yield int(line)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sink_stats(port: int) -> tuple[int, int]:
    """(messages, bytes) the sink has received so far."""
    with smtplib.SMTP(HOST, port, timeout=SINK_TIMEOUT) as smtp:
        _code, reply = smtp.docmd("XSTA")
    count, size = reply.decode().split()
    return int(count), int(size)


# --- the database -----------------------------------------------------------------------------


def make_app(url: str, log_level: str, port: int, log_file: Path) -> Flask:
    """The application as the scheduler process runs it, sending to the sink."""
    sys.path.insert(0, str(ROOT))
    from maintenance import create_app
    from maintenance.config import Config

    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=url,
        LOG_LEVEL=log_level,
        MAIL_SERVER=HOST,
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="",
        MAIL_DEFAULT_SENDER="Onderhoud <noreply@maintenance.test>",
        BASE_URL="https://maintenance.test",
        FAIL_ON_REAL_SENDS=True,
    )
    # Production formats and writes every log line; the bench keeps that cost, not the terminal.
    stream = log_file.open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, None):
            handler.setStream(stream)
    return app


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


# --- the measurements -------------------------------------------------------------------------


def time_claims(app: Flask, batch_size: int, due: int) -> float:
    """Median seconds of one claim_batch of batch_size while `due` reminders are due."""
    from maintenance.extensions import db
    from maintenance.services.reminders.claim import claim_batch

    repeats = max(1, min(CLAIM_REPEATS, due // batch_size - 1))
    with app.app_context():
        claim_batch(NOW, batch_size)  # warm: connection, statement cache, index pages
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            claim = claim_batch(NOW, batch_size)
            timings.append(time.perf_counter() - started)
            assert len(claim.ids) == batch_size, len(claim.ids)
        db.session.remove()
        with db.engine.connect() as connection:
            reset_due(connection)
    return statistics.median(timings)


def prebuilt_messages(app: Flask, batch_size: int) -> list[tuple[str, str, bytes]]:
    """One batch of real reminder messages as (from, to, bytes), rendered once and kept."""
    from maintenance.extensions import db
    from maintenance.notify import Channel, SendResult
    from maintenance.notify.mime import build_mime
    from maintenance.services.reminders.dispatch import dispatch_once

    captured: list[EmailMessage] = []

    class CaptureChannel(Channel):
        name = "capture"

        def _send(self, message: Any) -> SendResult:
            captured.append(message)
            return SendResult(provider_id=message.message_id)

    with app.app_context():
        channel = CaptureChannel()
        dispatch_once(NOW, batch_size, channels={"email": channel, "sms": channel}, max_batches=1)
        db.session.remove()
        with db.engine.connect() as connection:
            reset_due(connection)
        sender = app.config["MAIL_DEFAULT_SENDER"]
        return [
            ("noreply@maintenance.test", message.to, build_mime(message, sender).as_bytes())
            for message in captured
        ]


def run_raw(port: int, messages: list[tuple[str, str, bytes]], count: int) -> float:
    """Messages per second for `count` prebuilt messages over one reused SMTP connection."""
    from maintenance.notify.email import SmtpClient

    before, _ = sink_stats(port)
    started = time.perf_counter()
    # The channel's own client: what the channel saves on the client side, the baseline saves.
    with SmtpClient(HOST, port, timeout=SINK_TIMEOUT) as smtp:
        for number in range(count):
            sender, to, data = messages[number % len(messages)]
            smtp.sendmail(sender, [to], data)
    took = time.perf_counter() - started
    after, _ = sink_stats(port)
    assert after - before == count, (before, after, count)
    return count / took


def run_end_to_end(
    app: Flask, port: int, batch_size: int, due: int, profile: bool, profile_file: str | None
) -> tuple[float, float]:
    """(reminders per second, mean bytes) of dispatch_once over the due reminders."""
    from maintenance.extensions import db
    from maintenance.notify import channels_from_settings
    from maintenance.services.reminders.dispatch import dispatch_once

    before, size_before = sink_stats(port)
    with app.app_context():
        channels = channels_from_settings(app.config)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = dispatch_once(NOW, batch_size, channels=channels)
        took = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            if profile_file:
                profiler.dump_stats(profile_file)
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
        db.session.remove()
    after, size_after = sink_stats(port)
    if result.sent != due or after - before != due:
        sys.exit(f"end to end: {result} but the sink got {after - before} of {due}")
    return due / took, (size_after - size_before) / due


@contextlib.contextmanager
def library_path(name: str) -> Iterator[None]:
    """Run with one fast path swapped for the library path it stands in for (see --compare)."""
    from itsdangerous import URLSafeTimedSerializer

    from maintenance.notify import email
    from maintenance.services.reminders import links

    saved: list[tuple[Any, str, Any]] = []

    def swap(module: Any, attribute: str, value: Any) -> None:
        saved.append((module, attribute, getattr(module, attribute)))
        setattr(module, attribute, value)

    if name in ("stdlib MIME", "all library"):
        # The channel's own path for non-ASCII addresses: build_mime and send_message.
        swap(email, "is_plain_ascii", lambda message, sender: False)
    if name in ("itsdangerous links", "all library"):
        # One URLSafeTimedSerializer per action, kept, as a plain itsdangerous user would.
        swap(links, "_serializer_for", functools.lru_cache(maxsize=64)(URLSafeTimedSerializer))
    if name in ("smtplib client", "all library"):
        swap(email, "SmtpClient", smtplib.SMTP)
    try:
        yield
    finally:
        for module, attribute, value in reversed(saved):
            setattr(module, attribute, value)


# "shipped again" swaps nothing: how far two runs of the same code differ within a round.
COMPARED = (
    "shipped",
    "shipped again",
    "stdlib MIME",
    "itsdangerous links",
    "smtplib client",
    "all library",
)


@dataclass
class Compared:
    """One variant's whole passes: reminders/s, and this process's CPU ms per reminder."""

    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)


def compare(
    app: Flask, port: int, batch_size: int, due: int, rounds: int, variants: list[str]
) -> dict[str, Compared]:
    """The whole pass per variant, the variants interleaved per round.

    Wall time counts the database and the sink too, and other work on a shared machine;
    this process's CPU time (both threads) is what a fast path can save, and is steadier.
    """
    from maintenance.extensions import db

    results = {name: Compared() for name in variants}
    for number in range(rounds):
        # Each round in another order, so no variant always follows the same one.
        order = variants[number % len(variants) :] + variants[: number % len(variants)]
        for name in order:
            with app.app_context(), db.engine.connect() as connection:
                reset_due(connection)
            with library_path(name):
                cpu = time.process_time()
                rate, _ = run_end_to_end(app, port, batch_size, due, False, None)
                results[name].cpu_ms.append((time.process_time() - cpu) * 1000 / due)
            results[name].rates.append(rate)
        print(
            f"  round {number + 1}: "
            + ", ".join(
                f"{name} {results[name].rates[-1]:.0f}/s {results[name].cpu_ms[-1]:.2f} ms"
                for name in variants
            ),
            flush=True,
        )
    return results


def print_compared(compared: dict[str, Compared], raw: float) -> None:
    """Medians per variant, and the median of each round's ratio to the shipped code."""
    shipped = compared["shipped"]
    print()
    print(f"the whole pass, {len(shipped.rates)} interleaved rounds (medians):")
    for name, result in compared.items():
        rate_ratio = statistics.median(
            r / s for r, s in zip(result.rates, shipped.rates, strict=True)
        )
        cpu_ratio = statistics.median(
            c / s for c, s in zip(result.cpu_ms, shipped.cpu_ms, strict=True)
        )
        rate = statistics.median(result.rates)
        print(
            f"  {name:<20} {rate:6.0f} reminders/s ({rate_ratio:4.0%} of shipped per round,"
            f" {rate / raw:4.0%} of raw); {statistics.median(result.cpu_ms):5.2f} CPU ms"
            f" per reminder ({cpu_ratio:4.0%} of shipped)"
        )


def rss_bytes() -> int:
    """This process's resident memory."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_apscheduler(url: str, jobs: int, due: int) -> dict[str, float]:
    """The rejected design: one date job per reminder in a SQLAlchemy job store."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"drop table if exists {APSCHEDULER_TABLE}")
    store = SQLAlchemyJobStore(engine=engine, tablename=APSCHEDULER_TABLE)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(10)},
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        timezone=UTC,
    )
    ran = threading.Semaphore(0)
    scheduler.add_listener(lambda event: ran.release(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    due = min(due, jobs)
    try:
        now = datetime.now(UTC)
        rss = rss_bytes()
        started = time.perf_counter()
        for number in range(jobs):
            # Due now, or at some send time in the coming year; the job body does nothing.
            at = now - timedelta(minutes=1) if number < due else now + timedelta(hours=1 + number)
            scheduler.add_job(
                "builtins:abs", "date", run_date=at, args=[number], id=f"reminder-{number}"
            )
        add_seconds = time.perf_counter() - started
        add_rss = rss_bytes() - rss
        with engine.connect() as connection:
            table_bytes = connection.exec_driver_sql(
                f"select pg_total_relation_size('{APSCHEDULER_TABLE}')"
            ).scalar_one()
        rss = rss_bytes()
        started = time.perf_counter()
        found = store.get_due_jobs(datetime.now(UTC))
        store.get_next_run_time()
        lookup_seconds = time.perf_counter() - started
        lookup_rss = rss_bytes() - rss
        assert len(found) == due, (len(found), due)
        del found
        started = time.perf_counter()
        scheduler.resume()
        deadline = time.monotonic() + APSCHEDULER_RUN_TIMEOUT
        done = 0
        while done < due and ran.acquire(timeout=max(0.0, deadline - time.monotonic())):
            done += 1
        run_seconds = time.perf_counter() - started
    finally:
        scheduler.shutdown(wait=True)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"drop table if exists {APSCHEDULER_TABLE}")
        engine.dispose()
    return {
        "jobs": jobs,
        "due": due,
        "add_seconds": add_seconds,
        "add_rss": add_rss,
        "table_bytes": table_bytes,
        "lookup_seconds": lookup_seconds,
        "lookup_rss": lookup_rss,
        "ran": done,
        "run_seconds": run_seconds,
    }


# --- the run ----------------------------------------------------------------------------------


def redact(url: str) -> str:
    """A database URL without its password, for printing."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=max(SIZES))
    parser.add_argument("--due", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--apscheduler-jobs")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-file", help="also write the raw cProfile stats here")
    parser.add_argument(
        "--compare",
        type=int,
        metavar="ROUNDS",
        help="also time the whole pass with each fast path swapped for its library path",
    )
    parser.add_argument(
        "--variants",
        default=",".join(COMPARED),
        help=f"what --compare times, of: {', '.join(COMPARED)}",
    )
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        serve_sink()
        return
    url = args.database_url or DEFAULT_DATABASE_URL
    if not url.startswith("postgresql"):
        sys.exit("the bench needs PostgreSQL (FOR UPDATE SKIP LOCKED, bulk SQL)")
    units = args.units
    due = args.due or min(10_000, units // 10)
    jobs = (
        [int(n) for n in args.apscheduler_jobs.split(",") if int(n) > 0]
        if args.apscheduler_jobs is not None
        else [due, 10 * due]
    )
    variants = ["shipped", *(v for v in args.variants.split(",") if v != "shipped")]
    if set(variants) - set(COMPARED):
        sys.exit(f"--variants: one of {', '.join(COMPARED)}")
    sys.path.insert(0, str(ROOT))
    from maintenance.services.reminders.dispatch import DEFAULT_BATCH_SIZE

    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    if due < 2 * batch_size:
        sys.exit(f"--due must be at least twice the batch size ({batch_size})")
    started = time.perf_counter()
    print(f"database: {redact(url)}; {units:,} units, {due:,} due, batch size {batch_size}")
    with tempfile.TemporaryDirectory() as logs, sink_process() as port:
        log_file = Path(logs) / "app.log"
        app = make_app(url, args.log_level, port, log_file)
        from maintenance.extensions import db

        with app.app_context():
            models = prepare(app)
            engine = db.engine
        claims: list[tuple[int, float]] = []
        for size in [s for s in SIZES if s < units] + [units]:
            with engine.connect() as connection:
                fill(connection, models, size, due)
                reset_due(connection)
                vacuum(connection)
            claims.append((size, time_claims(app, batch_size, min(due, size))))
            print(f"  claim of {batch_size} at {size:,} units: {claims[-1][1] * 1000:.2f} ms")
        messages = prebuilt_messages(app, batch_size)
        raw = run_raw(port, messages, due)
        end_to_end, mean_bytes = run_end_to_end(
            app, port, batch_size, due, args.profile or bool(args.profile_file), args.profile_file
        )
        with engine.connect() as connection:
            reset_due(connection)
        raw_after = run_raw(port, messages, due)
        raw = max(raw, raw_after)  # the better of two runs: the harder target
        compared = (
            compare(app, port, batch_size, due, args.compare, variants) if args.compare else {}
        )
        apscheduler = [run_apscheduler(url, n, due) for n in jobs]
        engine.dispose()
    print()
    print(
        f"reminders end to end   {end_to_end:8.0f} /s  (claim, render, send, mark sent; {due:,}"
        f" due among {units:,} units)"
    )
    print(
        f"raw SMTP, prebuilt     {raw:8.0f} /s  (same sink, one connection, the channel's SMTP"
        f" client; {mean_bytes:,.0f} bytes per message)"
    )
    share = end_to_end / raw
    verdict = "met" if share >= TARGET_SHARE else "NOT met"
    print(f"end to end / raw       {share:8.0%}     target >= {TARGET_SHARE:.0%}: {verdict}")
    if compared:
        print_compared(compared, raw)
    print()
    print(f"claim_batch({batch_size}) median of {CLAIM_REPEATS}:")
    for size, seconds in claims:
        print(f"  {size:>9,} units/reminders  {seconds * 1000:7.2f} ms")
    if len(claims) > 1:
        ratio = claims[-1][1] / claims[0][1]
        verdict = "met" if ratio <= TARGET_CLAIM_RATIO else "NOT met"
        print(
            f"  {claims[-1][0]:,} vs {claims[0][0]:,}: {ratio:.2f}x   target <= "
            f"{TARGET_CLAIM_RATIO:g}x: {verdict}"
        )
    if apscheduler:
        print()
        print("rejected design: one APScheduler 3 date job per reminder, SQLAlchemy job store")
        for m in apscheduler:
            print(
                f"  {m['jobs']:>9,.0f} jobs: add {m['add_seconds']:7.1f} s"
                f" ({m['add_seconds'] / m['jobs'] * 1000:.2f} ms each), table"
                f" {m['table_bytes'] / 2**20:.0f} MiB; wake-up lookup of {m['due']:,.0f} due"
                f" {m['lookup_seconds'] * 1000:,.0f} ms, +{m['lookup_rss'] / 2**20:.0f} MiB RSS;"
                f" running them {m['run_seconds']:.1f} s"
                f" ({m['ran'] / m['run_seconds']:,.0f} jobs/s, no-op body, {m['ran']:,.0f} ran)"
            )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the cleanup on kill too
    main()
