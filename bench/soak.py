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
Then it prints the figures (docs/benchmarks.md records them). The rows and the outbox:
soak_data.py; the processes and the SMTP sink: soak_processes.py; the HTTP load:
soak_load.py; the checks and figures: soak_checks.py.

    .venv/bin/python bench/soak.py --units 20000                 # CI size, about 3 minutes
    .venv/bin/python bench/soak.py --units 1000000 --due 30000   # full size
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from soak_checks import check
from soak_data import ROOT, WAVES, Outbox, app_for, release_wave, set_up
from soak_load import Load
from soak_processes import BIN, Processes, free_port, http_get, run_smtp_sink, wait_for


@contextmanager
def timed(figures: dict[str, Any], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    figures[name] = round(time.monotonic() - started, 1)


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
