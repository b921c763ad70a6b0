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
faster than the old code; two processes each do about half. The scenario and its databases:
materialise_data.py; the simulated history and the old code's state: materialise_simulate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from materialise_data import ROOT, START, admin, at, build, fresh, make_app
from materialise_simulate import old_state, simulate

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


# --- timed passes in their own processes -----------------------------------------------------


def worker(url: str, now: str, start_at: float) -> None:
    """One pass of whichever materialiser is on the path; prints its result and seconds."""
    from dataclasses import asdict

    try:  # --old-ref code from before the services/ layout; the editable install's finder
        # would otherwise fill the old package's missing services/ from today's tree
        from maintenance.reminders.materialise import (  # type: ignore[import-not-found]
            materialise_due,
        )
    except ModuleNotFoundError:
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
