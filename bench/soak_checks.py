"""The soak's end checks (reminders, mail received, requests) and the figures it prints."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from soak_data import Plan
from soak_load import Hit, Load


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
    problems += _check_signups(load, figures)
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


def _check_signups(load: Load, figures: dict[str, Any]) -> list[str]:
    """Sign-ups from the scan page are taken (303) and each one got its confirmation email."""
    accepted = sum(1 for hit in load.hits if hit.kind == "signup" and hit.status == 303)
    figures["signups_accepted"] = accepted
    if load.signups and not accepted:
        return [f"none of {load.signups} sign-ups was accepted"]
    if figures["confirmation_emails"] < accepted:
        return [f"{accepted} sign-ups accepted, {figures['confirmation_emails']} confirmations"]
    return []


def _dispatch_figures(metrics_text: str) -> dict[str, Any]:
    """Dispatch batches and their total time, read from the scraped /metrics text."""
    figures: dict[str, Any] = {}
    for line in metrics_text.splitlines():
        if line.startswith("maintenance_dispatch_batch_duration_seconds_count"):
            figures["dispatch_batches"] = int(float(line.split()[-1]))
        if line.startswith("maintenance_dispatch_batch_duration_seconds_sum"):
            figures["dispatch_batch_seconds_total"] = round(float(line.split()[-1]), 1)
    return figures
