"""Load the unit page (the QR target) under gunicorn next to a minimal Flask page; print figures.

    .venv/bin/python bench/scan.py                        # full size: 1,000,000 units on PostgreSQL
    .venv/bin/python bench/scan.py --units 20000 --seconds 3          # quick run, under a minute
    .venv/bin/python bench/scan.py --database-url sqlite:////tmp/bench_scan.sqlite3
    .venv/bin/python bench/scan.py --units 20000 --profile 200        # cProfile of the unit page

Options: --units N (default 1,000,000), --database-url URL (default: PostgreSQL database
`bench_scan` on 127.0.0.1; create it first with `psql -h 127.0.0.1 -U postgres -c 'create
database bench_scan'`), --seconds S per measurement (default 10), --concurrency 1,4,16,
--rate 500 (requests/s of the fixed-rate run), --client auto|wrk|python (auto: `wrk` when
installed, which costs the 2-core machine far less CPU than a Python client).

What it does: migrates the database, loads the demo (library, organisations, four models), adds
the missing units up to N in bulk SQL (serials B00000000...; a rerun reuses them), then starts two
gunicorn servers on free loopback ports, each with 2 sync workers and the project's
gunicorn.conf.py: the real app (`wsgi:app`) and a minimal Flask app defined here (one query, one
template, the same database). For each concurrency level it runs a closed-loop load for S seconds
against each, then an open-loop load at a fixed rate (latency counted from each request's
scheduled start, so a slow server cannot hide its queue). Every request asks for a random unit of
the N, so no cache is warmer than it would be in real life. It prints requests/s, p50 and p99 per
page and the targets of issue 4: unit page throughput at least 70 % of the minimal page's, p99
under 10 ms at 500 requests/s. It also prints the CPU time per request of each server's gunicorn
processes ("app") and of their PostgreSQL backends ("database", found by application_name): on a
shared, busy machine wall times swing with the neighbours' load, CPU per request hardly does.
Servers are stopped on exit (also on Ctrl-C); only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scan"
SERIAL_PREFIX = "B"  # the demo's own units are DEMO0001..., so these never collide
FILL_CHUNK = 200_000  # units per INSERT ... SELECT, so progress shows and no one statement is huge
READY_TIMEOUT = 60.0  # seconds for gunicorn and the app to come up
REQUEST_TIMEOUT = 10.0  # seconds; a request slower than this counts as an error
FIXED_RATE_CONNECTIONS = 32  # enough in flight that the client never paces the server
TARGET_SHARE = 0.70
TARGET_P99_MS = 10.0

if TYPE_CHECKING:
    from flask import Flask

MINIMAL_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ unit.gtin }}</title></head>
<body><h1>{{ unit.gtin }}</h1><p>Serial number: {{ unit.serial }}</p>
<p>Sold on {{ unit.sold_on }}</p></body></html>
"""


def minimal_app() -> Flask:
    """The baseline gunicorn serves: one query and one (cached) template per request."""
    from flask import Flask, abort, render_template
    from jinja2 import DictLoader

    app = Flask(__name__)
    app.jinja_loader = DictLoader({"unit.html": MINIMAL_TEMPLATE})
    # The same pool settings as the real app, so the baseline pays what it pays per checkout.
    engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    query = text("select gtin, serial, sold_on from unit where gtin = :gtin and serial = :serial")

    @app.get("/01/<gtin>/21/<serial>")
    def unit(gtin: str, serial: str) -> str:
        with engine.connect() as connection:
            row = connection.execute(query, {"gtin": gtin, "serial": serial}).first()
        if row is None:
            abort(404)
        return render_template("unit.html", unit=row)

    return app


# --- the database -----------------------------------------------------------------------------


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


# --- the servers ------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds so far, from /proc (empty where there is none)."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name: state ppid ... utime (12th) stime (13th).
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it just ended
        found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens, its master's process id, its database sessions."""

    port: int
    pid: int
    name: str
    monitor: Engine | None  # PostgreSQL only: to find the backends serving this server

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time so far of the master and workers, and of their PostgreSQL backends."""
        backends: list[int] = []
        if self.monitor is not None:
            with self.monitor.connect() as connection:
                backends = list(
                    connection.execute(
                        text("select pid from pg_stat_activity where application_name = :name"),
                        {"name": self.name},
                    ).scalars()
                )
        table = processes()
        app = sum(cpu for pid, (parent, cpu) in table.items() if self.pid in (pid, parent))
        return app, sum(table[pid][1] for pid in backends if pid in table)


@contextmanager
def gunicorn(
    name: str, target: str, chdir: Path, env: dict[str, str], logs: Path, monitor: Engine | None
) -> Iterator[Server]:
    """Serve `target` with 2 sync workers on a free loopback port; stop it on exit."""
    port = free_port()
    url = make_url(env["DATABASE_URL"])
    if monitor is not None:
        # Named sessions, so their backends' CPU time can be counted as this server's.
        url = url.update_query_dict({"application_name": f"bench-scan-{name}"})
    env = {**env, "DATABASE_URL": url.render_as_string(hide_password=False)}
    log = (logs / f"{name}.log").open("wb")
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--chdir",
        str(chdir),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        # Worker recycling would put app start-up into the figures; measure the steady state.
        "--max-requests",
        "0",
        target,
    ]
    server = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the workers can be reached too
    )
    try:
        wait_until_up(server, port, logs / f"{name}.log")
        yield Server(port, server.pid, f"bench-scan-{name}", monitor)
    finally:
        stop(server)
        log.close()


def wait_until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Return once both workers can answer, or fail with the server's log."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/__bench_ready")
            connection.getresponse().read()
            connection.close()
            # Both workers boot at once; one answering means the other is nearly there.
            time.sleep(1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not come up; its log:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL to its group."""
    if server.poll() is None:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # leftover workers of this server only
    server.wait()


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Result:
    """One measurement: how many answered in how long, and how fast."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    app_cpu_ms: float = float("nan")  # CPU per answered request: master and workers
    db_cpu_ms: float = float("nan")  # CPU per answered request: the PostgreSQL backends

    @property
    def rate(self) -> float:
        """Requests per second (successful ones)."""
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


WRK_SCRIPT = """
local gtins = {%(gtins)s}
local units = %(units)d
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
end
function request()
  local n = math.random(0, units - 1)
  return wrk.format("GET", string.format("/01/%%s/21/%(prefix)s%%08d", gtins[n %% #gtins + 1], n))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(port: int, gtins: list[str], units: int, connections: int, seconds: float) -> Result:
    """Closed-loop load with wrk: `connections` clients, each sending its next request at once."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(
            WRK_SCRIPT
            % {
                "gtins": ", ".join(f'"{gtin}"' for gtin in gtins),
                "units": units,
                "prefix": SERIAL_PREFIX,
            }
        )
        script.flush()
        done = subprocess.run(
            [
                "wrk",
                "--threads",
                "1",  # one client thread keeps up with 2 workers and leaves the cores to them
                "--connections",
                str(connections),
                "--duration",
                f"{seconds:g}s",
                "--timeout",
                f"{REQUEST_TIMEOUT:g}s",
                "--script",
                script.name,
                f"http://{HOST}:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", done.stdout, re.MULTILINE)
    if match is None:
        sys.exit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    total, micros, errors, p50, p99 = (int(value) for value in match.groups())
    return Result(total - errors, micros / 1e6, errors, p50 / 1000, p99 / 1000)


class Client:
    """One keep-alive connection (it reconnects when a sync worker closes it)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def get(self, path: str) -> bool:
        """Fetch a page whole; whether it answered 200."""
        try:
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            response.read()
            if response.will_close:
                self.connection.close()  # http.client opens a new one on the next request
            return response.status == 200
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return False


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Run `work(index)` on `count` threads and wait for all of them."""
    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_python(port: int, gtins: list[str], units: int, connections: int, seconds: float) -> Result:
    """Closed-loop load from Python threads, when wrk is not installed."""
    latencies: list[float] = []
    failed: list[int] = []  # list.append is atomic; += on a shared int is not
    started = time.perf_counter()
    deadline = started + seconds

    def work(index: int) -> None:
        client, pick = Client(port), random.Random(index)
        while (now := time.perf_counter()) < deadline:
            ok = client.get(unit_path(gtins, pick.randrange(units)))
            if ok:
                latencies.append(time.perf_counter() - now)  # list.append is atomic
            else:
                failed.append(1)

    run_threads(connections, work)
    ordered = sorted(latencies)
    return Result(
        len(ordered),
        time.perf_counter() - started,
        len(failed),
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.99) * 1000,
    )


def run_fixed_rate(port: int, gtins: list[str], units: int, rate: float, seconds: float) -> Result:
    """Open-loop load: request k is due at start + k/rate; its latency counts from then."""
    total = int(rate * seconds)
    slots = itertools.count()  # next() on it is atomic under the GIL
    latencies: list[float] = []
    failed: list[int] = []  # list.append is atomic; += on a shared int is not
    started = time.perf_counter() + 0.1
    # Requests not even sent by then count as errors: the run stays bounded on a slow server.
    give_up = started + 2 * seconds

    def work(index: int) -> None:
        client, pick = Client(port), random.Random(index)
        while (slot := next(slots)) < total:
            due = started + slot / rate
            if time.perf_counter() > give_up:
                failed.append(slot)
                continue
            time.sleep(max(0.0, due - time.perf_counter()))
            if client.get(unit_path(gtins, pick.randrange(units))):
                latencies.append(time.perf_counter() - due)
            else:
                failed.append(slot)

    run_threads(FIXED_RATE_CONNECTIONS, work)
    ordered = sorted(latencies)
    return Result(
        len(ordered),
        max(seconds, time.perf_counter() - started),
        len(failed),
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.99) * 1000,
    )


# --- the run ----------------------------------------------------------------------------------


def profile(url: str, gtins: list[str], units: int, count: int) -> None:
    """cProfile `count` unit page requests through the full Flask stack, in this process."""
    import cProfile
    import pstats

    from maintenance import create_app
    from maintenance.config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="WARNING")
    client = app.test_client()
    pick = random.Random(1)
    for _ in range(20):  # templates compiled, pool filled
        client.get(unit_path(gtins, pick.randrange(units)))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        response = client.get(unit_path(gtins, pick.randrange(units)))
        assert response.status_code == 200, response.status_code
    profiler.disable()
    took = (time.perf_counter() - started) / count * 1000
    print(f"{count} unit page requests in-process: {took:.2f} ms each (under cProfile)")
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    stats.print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def measure(
    server: Server,
    load: Callable[[int, list[str], int, float, float], Result],
    gtins: list[str],
    units: int,
    level: float,
    seconds: float,
) -> Result:
    """Run one load against a server and add its CPU time per request to the result."""
    app_before, db_before = server.cpu_seconds()
    result = load(server.port, gtins, units, level, seconds)
    app_after, db_after = server.cpu_seconds()
    if result.requests:
        result.app_cpu_ms = (app_after - app_before) / result.requests * 1000
        result.db_cpu_ms = (db_after - db_before) / result.requests * 1000
    return result


def show(label: str, name: str, result: Result) -> None:
    """One line of the table."""
    print(
        f"{label:>12} {name:8} {result.rate:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f}"
        f" {result.app_cpu_ms:8.2f} {result.db_cpu_ms:8.2f} {result.errors:7d}",
        flush=True,
    )


def main() -> None:
    """Prepare the database, start both servers, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile N requests")
    args = parser.parse_args()
    # Stopped by `timeout` or a CI runner: unwind as for Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(f"stopped by signal {number}"))
    levels = [int(level) for level in args.concurrency.split(",")]
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    closed_loop = run_wrk if use_wrk else run_python

    gtins = prepare_database(args.database_url, args.units)
    if args.profile:
        profile(args.database_url, gtins, args.units, args.profile)
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"client: {'wrk, 1 thread' if use_wrk else 'Python threads'} (closed loop);")
    print(f"        Python, {FIXED_RATE_CONNECTIONS} connections (fixed rate)")
    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scan-")))
        metrics = logs / "metrics"
        metrics.mkdir()
        env = {
            "DATABASE_URL": args.database_url,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "SECRET_KEY": "bench-scan-secret",
            "INSTANCE_PATH": str(logs / "instance"),
        }
        monitor = None
        if make_url(args.database_url).get_backend_name() == "postgresql":
            monitor = create_engine(args.database_url, poolclass=NullPool)
        pages = {"minimal": gunicorn("minimal", "scan:minimal_app()", BENCH, env, logs, monitor)}
        env["BASE_URL"] = f"http://{HOST}:{free_port()}"  # printed in links only
        pages["unit"] = gunicorn("unit", "wsgi:app", ROOT, env, logs, monitor)
        servers = {name: stack.enter_context(page) for name, page in pages.items()}
        for server in servers.values():  # templates compiled, connections open, rows cached
            closed_loop(server.port, gtins, args.units, 4, 2)
        print(f"\n{'':21} {'':>9} {'':>8} {'':>8} {'CPU ms per request':>17}")
        print(
            f"{'load':>12} {'page':8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'app':>8} {'database':>8} {'errors':>7}"
        )
        closed: dict[int, dict[str, Result]] = {}
        for level in levels:
            closed[level] = {}
            for name, server in servers.items():
                result = measure(server, closed_loop, gtins, args.units, level, args.seconds)
                show(f"{level} conn", name, result)
                closed[level][name] = result
        fixed = {}
        for name, server in servers.items():
            fixed[name] = measure(
                server, run_fixed_rate, gtins, args.units, args.rate, args.seconds
            )
            show(f"{args.rate:g}/s", name, fixed[name])
    best = max(levels)
    shares = {level: pair["unit"].rate / pair["minimal"].rate for level, pair in closed.items()}
    print("\nunit page throughput as a share of the minimal page's:")
    print("  " + ", ".join(f"{level} conn {share:.0%}" for level, share in shares.items()))
    # CPU per request hardly changes with what else runs on a shared machine; wall time does.
    unit, minimal = closed[best]["unit"], closed[best]["minimal"]
    unit_cpu = unit.app_cpu_ms + (unit.db_cpu_ms if monitor else 0)
    minimal_cpu = minimal.app_cpu_ms + (minimal.db_cpu_ms if monitor else 0)
    print(
        f"CPU per request at {best} conn (app + database): unit {unit_cpu:.2f} ms,"
        f" minimal {minimal_cpu:.2f} ms; their ratio, {minimal_cpu / unit_cpu:.0%}, is the share"
        " where only CPU limits"
    )
    share_ok = shares[best] >= TARGET_SHARE
    p99_ok = fixed["unit"].p99_ms < TARGET_P99_MS and fixed["unit"].errors == 0
    print(
        f"target: >= {TARGET_SHARE:.0%} at {best} conn: {'met' if share_ok else 'MISSED'}"
        f" ({shares[best]:.0%});"
        f" p99 < {TARGET_P99_MS:g} ms at {args.rate:g}/s: {'met' if p99_ok else 'MISSED'}"
        f" ({fixed['unit'].p99_ms:.1f} ms, {fixed['unit'].rate:.0f}/s answered)"
    )


if __name__ == "__main__":
    main()
