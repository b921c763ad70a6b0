"""Time every dashboard page on the demo data plus a generated year, on SQLite.

    .venv/bin/python bench/dashboards.py [--units 10000] [--runs 5] [--database PATH]

Builds a fresh SQLite database (unless --database names an existing one), loads the demo, runs
`generate-activity`, then fetches each dashboard as its demo user through the full Flask stack
(login, CSRF, templates, SVG) and prints the median and worst time per page, and a few figures.

Each page is timed twice: "first view" forgets the kept dashboards before every request, so the
figures come from the database; "again" is a repeat within the few minutes a dashboard is kept
(see maintenance/services/figures/cache.py).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from maintenance import create_app
from maintenance.clock import service_today
from maintenance.config import ROOT, Config
from maintenance.demo.activity import generate_activity
from maintenance.demo.data import DEMO_PASSWORD, load_demo
from maintenance.services.figures.cache import forget

PAGES = (
    ("manufacturer", "fabrikant@example.com", "/dashboards/manufacturer"),
    ("retailer", "winkel@example.com", "/dashboards/retailer"),
    ("sector", "admin@example.com", "/dashboards/sector"),
    ("sector CSV export", "admin@example.com", "/dashboards/sector/monthly-export.csv"),
)


def main() -> None:
    """Build the data, then time the pages."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help="an SQLite file; made fresh when it does not exist")
    args = parser.parse_args()
    path = Path(args.database or Path(tempfile.mkdtemp()) / "bench.sqlite3")
    fresh = not path.exists()
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
    )
    with app.app_context():
        if fresh:
            upgrade(directory=str(ROOT / "migrations"))
            list(load_demo(ROOT / "protocols" / "library"))
            started = time.perf_counter()
            made = generate_activity(service_today(), units=args.units)
            print(
                f"generated {made.units} units, {made.scans} scans, {made.owners} owners, "
                f"{made.events} events in {time.perf_counter() - started:.1f} s"
            )
    print(f"database: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"{'':22} {'first view':>26}   {'again':>26}")
    print(f"{'page':22} {'median ms':>10} {'worst ms':>9} {'cpu ms':>7}   ", end="")
    print(f"{'median ms':>10} {'worst ms':>9} {'cpu ms':>7}  size")
    for name, email, url in PAGES:
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login)
        assert token, "no CSRF token on the login page"
        answer = client.post(
            "/login",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token[1]},
        )
        assert answer.status_code == 302, answer.status_code
        client.get(url)  # warm the template cache
        columns = []
        for first_view in (True, False):
            times, cpu = [], []
            for _ in range(args.runs):
                if first_view:
                    forget()
                started, used = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                # CPU time too: on a busy machine the wall clock also counts other processes.
                cpu.append((time.process_time() - used) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            columns.append(
                f"{statistics.median(times):10.0f} {max(times):9.0f} {statistics.median(cpu):7.0f}"
            )
        size = len(response.get_data())
        print(f"{name:22} {columns[0]}   {columns[1]}  {size // 1024} KiB")
        if name == "sector":
            page = response.get_data(as_text=True)
            summary = re.findall(r"<th scope=\"row\">([a-z-]+)</th><td>(\d+)</td><td>(\d+)", page)
            for category, models, units in summary[:8]:
                print(f"    {category:18} models {models:>3}  units {units:>6}")


if __name__ == "__main__":
    main()
