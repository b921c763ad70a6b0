"""Soak test: the production process model under load, with crashes, on loopback only.

Runs 2 gunicorn workers (the shipped gunicorn.conf.py), 2 `maintenance scheduler` processes and
PostgreSQL (its own database, default `soak`, wiped first), with an SMTP sink that records every
Message-ID it receives. It writes N units with owners and schedules straight into the database,
then drives scans and sign-ups over HTTP while three waves of reminders fall due. Meanwhile it
SIGKILLs one scheduler twice (restarting it each time) and restarts PostgreSQL once.

At the end it checks, and exits 1 when one fails:
- every owner whose task fell due got exactly one reminder, marked sent, and the sink received
  it once; twice only for reminders that were in flight (claimed, not yet marked) at a kill or
  at the database restart;
- no HTTP 5xx or failed connection except while PostgreSQL restarted;
- the outbox is drained: nothing due is pending, nothing is left sending, nothing failed.
Then it prints the figures (docs/benchmarks.md records them).

    .venv/bin/python bench/soak.py --units 20000                 # CI size, about 3 minutes
    .venv/bin/python bench/soak.py --units 1000000 --due 30000   # full size
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GTIN = "08712345678906"  # the soak's one product model (a dishwasher)
WAVES = 3
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<reminder\.(\d+)\.", re.IGNORECASE | re.MULTILINE)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the SMTP sink (runs in its own process: `soak.py --smtp-sink PORT FILE`) -------------------


def run_smtp_sink(port: int, out: Path) -> None:
    """Accept every message; write one line per message: time, reminder id (or -), recipient."""
    from aiosmtpd.controller import Controller

    stream = out.open("a", buffering=1)

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            match = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
            reminder = match.group(1).decode() if match else "-"
            stream.write(f"{time.time():.3f}\t{reminder}\t{envelope.rcpt_tos[0]}\n")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


# --- set-up ---------------------------------------------------------------------------------


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


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Processes:
    """The web, the schedulers and the sink, with their logs in one folder."""

    folder: Path
    env: dict[str, str]
    web_port: int
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], **env: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.children[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_scheduler(self, name: str) -> None:
        self.start(name, [str(BIN / "maintenance"), "scheduler"], LOG_LEVEL="INFO")

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye, no cleanup, exactly like a crashed machine."""
        process = self.children[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response, response.read()
    finally:
        connection.close()


def wait_for(what: str, condition: Callable[[], bool], limit: float, every: float = 0.5) -> float:
    """Poll until condition() holds; returns the seconds it took. Fails after `limit`."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() - started > limit:
            raise SystemExit(f"soak: gave up waiting for {what} after {limit:.0f} s")
        time.sleep(every)


# --- load -----------------------------------------------------------------------------------


@dataclass
class Hit:
    at: float
    kind: str
    status: int  # 0: no answer (connection refused or reset)
    seconds: float


class Load:
    """Scans and sign-ups at a steady rate from several threads, each from its own "phone"."""

    def __init__(self, port: int, units: int, rate: float, threads: int = 8) -> None:
        self.port, self.units, self.rate, self.threads = port, units, rate, threads
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        self.signups = 0
        self._workers: list[threading.Thread] = []

    def _headers(self, rng: random.Random, cookie: str | None = None) -> dict[str, str]:
        # Behind the (simulated) proxy each visitor has an address of their own.
        headers = {"X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.7"}
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def _request(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, Any, bytes]:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            response, content, status = None, b"", 0
        finally:
            connection.close()
        self.hits.append(Hit(time.time(), kind, status, time.monotonic() - started))
        return status, response, content

    def _scan(self, rng: random.Random) -> None:
        serial = rng.randrange(1, self.units + 1)
        self._request("scan", "GET", f"/01/{GTIN}/21/S{serial}", self._headers(rng))

    def _sign_up(self, rng: random.Random) -> None:
        serial = rng.randrange(1, self.units + 1)
        path = f"/01/{GTIN}/21/S{serial}"
        headers = self._headers(rng)
        status, response, page = self._request("signup-page", "GET", path, headers)
        if status != 200 or response is None:
            return
        token = CSRF.search(page.decode())
        cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
        if token is None or not cookie:
            return
        self.signups += 1
        form = (
            f"csrf_token={token.group(1)}&gtin={GTIN}&serial=S{serial}&hour=9&consent=1"
            f"&contact=signup{self.signups}.{rng.randrange(10**9)}%40soak.test"
        )
        self._request(
            "signup",
            "POST",
            "/remind",
            {
                **headers,
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
            },
            form,
        )

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        interval = self.threads / self.rate
        next_at = time.monotonic() + rng.uniform(0, interval)
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            next_at += interval
            (self._sign_up if rng.random() < 0.1 else self._scan)(rng)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def finish(self) -> None:
        self.stop.set()
        for worker in self._workers:
            worker.join()


# --- the run --------------------------------------------------------------------------------


@contextmanager
def timed(figures: dict[str, Any], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    figures[name] = round(time.monotonic() - started, 1)


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


def postgres_restart_command() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


def run(args: argparse.Namespace) -> int:
    figures: dict[str, Any] = {"units": args.units, "owners": args.owners, "due": args.due}
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    sink_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "BASE_URL": f"http://127.0.0.1:{web_port}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink_port),
        "MAIL_USE_TLS": "0",
        "MAIL_DEFAULT_SENDER": "Onderhoud <noreply@soak.test>",
        "PROXY_FIX_HOPS": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        # A killed scheduler's claims come back after this; short, so the soak stays short.
        "REMINDER_LEASE_SECONDS": "15",
        "DISPATCH_INTERVAL_SECONDS": "2",
    }
    env.pop("TEST_DATABASE_URL", None)
    app = app_for(args.database_url, **{k: env[k] for k in ("INSTANCE_PATH", "SECRET_KEY")})
    print(f"soak: set-up of {args.units:,} units in {args.database_url} (logs in {folder})")
    with timed(figures, "setup_seconds"):
        plan = set_up(app, args.units, args.owners, args.due)
    figures["schedules"] = args.owners * plan.tasks
    outbox = Outbox(app)
    processes = Processes(folder, env, web_port)
    sink_file = folder / "received.tsv"
    processes.start(
        "smtp-sink", [sys.executable, __file__, "--smtp-sink", str(sink_port), str(sink_file)]
    )
    processes.start(
        "web", [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
    )
    wait_for(
        "the SMTP sink",
        lambda: socket.create_connection(("127.0.0.1", sink_port)).close() is None,
        30,
        0.1,
    )
    wait_for("the web", lambda: http_get(web_port, "/readyz")[0] == 200, 60, 0.2)

    load = Load(web_port, args.units, args.rate)
    inflight: dict[str, set[int]] = {}
    restart_window = (0.0, 0.0)
    started = time.monotonic()
    deadline = started + args.time_limit
    remaining = lambda: max(1.0, deadline - time.monotonic())  # noqa: E731
    try:
        processes.start_scheduler("scheduler-a")
        processes.start_scheduler("scheduler-b")
        load.start()
        for kill in (1, 2):
            # Kill A while reminders are on their way, so some are claimed but not yet marked.
            wait_for(
                f"wave {kill - 1} on its way", outbox.on_its_way(kill - 1, plan), remaining(), 0.05
            )
            processes.kill("scheduler-a")
            inflight[f"kill {kill}"] = outbox.sending()
            print(f"soak: SIGKILL {kill}: {len(inflight[f'kill {kill}'])} reminders in flight")
            release_wave(app, plan, kill)
            processes.start_scheduler("scheduler-a")  # its first materialise takes the new wave
        if args.restart_postgres:
            # Restart once the last wave is materialised (a materialise pass cut short by the
            # restart is only retried at its next interval, five minutes later) and sending.
            low, high = plan.wave(WAVES - 1)
            wait_for(
                "the last wave materialised",
                lambda: outbox.made_in(low, high) == high - low + 1,
                remaining(),
            )
            wait_for(
                "the last wave on its way", outbox.on_its_way(WAVES - 1, plan), remaining(), 0.05
            )
            inflight["postgres restart"] = outbox.sending()
            restart_started = time.time()
            with timed(figures, "postgres_restart_seconds"):
                subprocess.run(postgres_restart_command(), check=True, capture_output=True)
            figures["ready_after_restart_seconds"] = round(
                wait_for(
                    "ready after the restart",
                    lambda: http_get(web_port, "/readyz")[0] == 200,
                    60,
                    0.1,
                )
                + figures["postgres_restart_seconds"],
                1,
            )
            restart_window = (restart_started, time.time() + 1.0)
            print(f"soak: PostgreSQL restarted in {figures['postgres_restart_seconds']} s")
        # Every wave must be materialised and sent, and nothing left in flight.
        with timed(figures, "drain_seconds"):
            wait_for(
                "every due owner's reminder to be sent",
                lambda: outbox.sent_in(1, plan.due) == plan.due and outbox.open_work() == 0,
                remaining(),
            )
        figures["run_seconds"] = round(time.monotonic() - started, 1)
        scrape_started = time.monotonic()
        scrape = {"Authorization": f"Bearer {env['METRICS_TOKEN']}"}
        _, _, body = http_get(web_port, "/metrics", scrape)
        figures["metrics_scrape_seconds"] = round(time.monotonic() - scrape_started, 3)
    finally:
        load.finish()
        processes.stop_all()
    return check(app, plan, figures, load, sink_file, inflight, restart_window, body.decode())


def job_durations(folder: Path) -> dict[str, Any]:
    """Materialise and dispatch pass durations, from APScheduler's start and end log lines."""
    durations: dict[str, list[float]] = defaultdict(list)
    for log in folder.glob("scheduler-*.log"):
        running: dict[str, datetime] = {}
        for raw in log.read_text().splitlines():
            if not raw.startswith("{"):
                continue
            line = json.loads(raw)
            match = re.match(r'(Running job|Job) "([\w-]+)', line["message"])
            if match is None:
                continue
            at = datetime.fromisoformat(line["time"])
            if match.group(1) == "Running job":
                running[match.group(2)] = at  # a restart starts over: the last start counts
            elif "executed successfully" in line["message"] and match.group(2) in running:
                took = (at - running.pop(match.group(2))).total_seconds()
                durations[match.group(2)].append(took)
    figures: dict[str, Any] = {}
    for name, values in sorted(durations.items()):
        figures[f"{name}_passes"] = len(values)
        figures[f"{name}_pass_seconds_max"] = round(max(values), 2)
    return figures


def check(
    app: Any,
    plan: Plan,
    figures: dict[str, Any],
    load: Load,
    sink_file: Path,
    inflight: dict[str, set[int]],
    restart_window: tuple[float, float],
    metrics_text: str,
) -> int:
    """The end checks and the figures; returns the exit status."""
    from sqlalchemy import text

    from maintenance.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT owner_id, id, status, created_at, sent_at FROM reminder "
                "WHERE owner_id BETWEEN 1 AND :due"
            ),
            {"due": plan.due},
        ).all()
        states = dict(
            conn.execute(text("SELECT status, count(*) FROM reminder GROUP BY status")).all()
        )
        figures["scan_events"] = conn.execute(text("SELECT count(*) FROM scan_event")).scalar()
        figures["unconfirmed_signups"] = conn.execute(
            text("SELECT count(*) FROM owner WHERE email_verified_at IS NULL")
        ).scalar()
    problems = _check_outbox(plan, rows, states)
    problems += _check_received(rows, sink_file, inflight, figures)
    problems += _check_requests(load, restart_window, figures)
    figures.update(_dispatch_figures(metrics_text))
    figures.update(job_durations(sink_file.parent))
    print(json.dumps(figures, indent=2, default=str))
    for problem in problems:
        print(f"soak: FAIL {problem}")
    if not problems:
        print("soak: all checks passed")
    return 1 if problems else 0


def _check_outbox(plan: Plan, rows: list[Any], states: dict[str, int]) -> list[str]:
    """Every due owner has exactly one reminder row, sent, and nothing is left failed or sending."""
    problems: list[str] = []
    per_owner = Counter(row.owner_id for row in rows)
    missing = plan.due - len(per_owner)
    doubled = sum(1 for count in per_owner.values() if count > 1)
    if missing:
        problems.append(f"{missing} due owners got no reminder")
    if doubled:
        problems.append(f"{doubled} owners got more than one reminder row")
    not_sent = Counter(row.status for row in rows if row.status != "sent")
    if not_sent:
        problems.append(f"due reminders not sent: {dict(not_sent)}")
    if states.get("failed") or states.get("sending"):
        problems.append(f"outbox not clean: {states}")
    return problems


def _check_received(
    rows: list[Any], sink_file: Path, inflight: dict[str, set[int]], figures: dict[str, Any]
) -> list[str]:
    """The SMTP sink got each sent reminder once (twice only if it was in flight at a kill)."""
    problems: list[str] = []
    received: Counter[int] = Counter()
    received_at: dict[int, float] = {}
    other_mail = 0
    for line in sink_file.read_text().splitlines():
        at, reminder, _ = line.split("\t")
        if reminder == "-":
            other_mail += 1
            continue
        received[int(reminder)] += 1
        received_at.setdefault(int(reminder), float(at))
    ours = {row.id for row in rows}
    never = [rid for rid in ours if received[rid] == 0]
    if never:
        problems.append(f"{len(never)} reminders marked sent never reached the SMTP server")
    strangers = set(received) - ours
    if strangers:
        problems.append(f"{len(strangers)} reminders received that no due owner had")
    allowed = set().union(*inflight.values()) if inflight else set()
    twice = {rid for rid, count in received.items() if count == 2}
    too_many = {rid for rid, count in received.items() if count > 2}
    unexplained = twice - allowed
    if too_many:
        problems.append(f"{len(too_many)} reminders received more than twice")
    if unexplained:
        problems.append(
            f"{len(unexplained)} reminders received twice that were not in flight at a kill"
        )
    figures["reminders_sent"] = len(ours)
    figures["received_twice_in_flight"] = len(twice & allowed)
    figures["in_flight_at_kills"] = {name: len(ids) for name, ids in inflight.items()}
    figures["confirmation_emails"] = other_mail
    sent_times = sorted(received_at.values())
    if len(sent_times) > 1:
        figures["reminders_per_second"] = round(
            len(sent_times) / (sent_times[-1] - sent_times[0]), 1
        )
    lag = [
        (row.sent_at - row.created_at).total_seconds() for row in rows if row.sent_at is not None
    ]
    if lag:
        figures["created_to_sent_seconds_p50_p99"] = (
            round(statistics.median(lag), 1),
            round(sorted(lag)[int(len(lag) * 0.99) - 1], 1),
        )
    return problems


def _check_requests(
    load: Load, restart_window: tuple[float, float], figures: dict[str, Any]
) -> list[str]:
    """No request failed outside the database restart; latency figures per kind of request."""
    problems: list[str] = []
    low, high = restart_window
    bad = [hit for hit in load.hits if (hit.status >= 500 or hit.status == 0)]
    outside = [hit for hit in bad if not low <= hit.at <= high]
    if outside:
        statuses = Counter(hit.status for hit in outside)
        problems.append(f"{len(outside)} failed requests outside the database restart: {statuses}")
    figures["failed_requests_during_restart"] = len(bad) - len(outside)
    by_kind: dict[str, list[Hit]] = defaultdict(list)
    for hit in load.hits:
        by_kind[hit.kind].append(hit)
    duration = (load.hits[-1].at - load.hits[0].at) if load.hits else 1
    figures["requests"] = len(load.hits)
    figures["requests_per_second"] = round(len(load.hits) / duration, 1)
    for kind, hits in sorted(by_kind.items()):
        times = sorted(hit.seconds * 1000 for hit in hits)
        figures[f"{kind}_ms_p50_p95_p99"] = tuple(
            round(times[min(len(times) - 1, int(len(times) * q))]) for q in (0.5, 0.95, 0.99)
        )
        figures[f"{kind}_statuses"] = dict(Counter(hit.status for hit in hits))
    return problems


def _dispatch_figures(metrics_text: str) -> dict[str, Any]:
    """Dispatch batches and their total time, read from the scraped /metrics text."""
    figures: dict[str, Any] = {}
    for line in metrics_text.splitlines():
        if line.startswith("maintenance_dispatch_batch_duration_seconds_count"):
            figures["dispatch_batches"] = int(float(line.split()[-1]))
        if line.startswith("maintenance_dispatch_batch_duration_seconds_sum"):
            figures["dispatch_batch_seconds_total"] = round(float(line.split()[-1]), 1)
    return figures


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--smtp-sink":
        run_smtp_sink(int(sys.argv[2]), Path(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--owners", type=int, help="units with a confirmed owner (default 20 %%)")
    parser.add_argument(
        "--due",
        type=int,
        help="owners whose task falls due (default 10 %% of owners, at least 3000)",
    )
    parser.add_argument("--rate", type=float, default=40, help="HTTP requests per second to aim at")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--time-limit", type=float, default=480, help="seconds the run may take after set-up"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SOAK_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/soak"
        ),
        help="a PostgreSQL database of its own: it is wiped",
    )
    parser.add_argument(
        "--no-restart-postgres",
        dest="restart_postgres",
        action="store_false",
        help="skip the PostgreSQL restart (it interrupts everyone using that server)",
    )
    args = parser.parse_args()
    args.owners = args.owners or args.units // 5
    args.due = min(args.owners, args.due or max(3000, args.owners // 10))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
