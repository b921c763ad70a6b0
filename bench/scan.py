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
Servers are stopped on exit (also on Ctrl-C); only 127.0.0.1 is used. The database: scan_data.py;
the servers: scan_servers.py; the loads: scan_load.py.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from scan_data import ROOT, prepare_database, unit_path
from scan_load import FIXED_RATE_CONNECTIONS, Result, run_fixed_rate, run_python, run_wrk
from scan_servers import HOST, Server, free_port, gunicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

BENCH = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scan"
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
