"""Prometheus metrics at /metrics: requests, the reminder outbox, dispatch, delivery failures."""

# Under gunicorn every worker is its own process, so counters live in files under
# PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py before anything imports prometheus_client) and
# each scrape adds them up. The scheduler process writes to the same folder when it has the same
# setting, so its dispatch figures show up in the web's /metrics too. Outbox figures are not
# counted by any process: they are read from the database at scrape time.

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from maintenance.extensions import db
from maintenance.models import Reminder

bp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "maintenance_http_requests",
    "HTTP requests by route (the URL rule, not the raw path) and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "maintenance_http_request_duration_seconds",
    "Time from the start of a request to its response, by route.",
    ["method", "route"],
)
DISPATCH_SECONDS = Histogram(
    "maintenance_dispatch_batch_duration_seconds",
    "Time to claim, render, send and record one batch of reminders.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
DELIVERY_FAILURES = Counter(
    "maintenance_delivery_failures",
    "Failed send attempts by channel and reason (retried or final).",
    ["channel", "reason"],
)

# Reasons become label values: keep them short so a provider's free text can't explode the series.
MAX_REASON_LENGTH = 60
UNMATCHED = "unmatched"


def observe_dispatch(seconds: float) -> None:
    """Record how long one dispatch batch took."""
    DISPATCH_SECONDS.observe(seconds)


def count_failure(channel: str, reason: str) -> None:
    """Count one failed delivery attempt; reason should be a code or a short category."""
    DELIVERY_FAILURES.labels(
        channel=channel, reason=(reason or "unknown")[:MAX_REASON_LENGTH]
    ).inc()


class OutboxCollector(Collector):
    """Reminders by state and channel, and the age of the oldest due one, read at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Query the outbox (needs an app context) and yield the two gauges."""
        by_state = GaugeMetricFamily(
            "maintenance_reminders",
            "Reminders in the outbox by state and channel.",
            labels=["state", "channel"],
        )
        rows = db.session.execute(
            select(Reminder.status, Reminder.channel, func.count()).group_by(
                Reminder.status, Reminder.channel
            )
        ).all()
        for state, channel, count in rows:
            by_state.add_metric([state, channel], count)
        yield by_state
        now = datetime.now(UTC)
        # Pending and due: walks ix_reminder_claim (status, next_attempt_at) to its first row.
        oldest = db.session.scalar(
            select(func.min(Reminder.next_attempt_at)).where(
                Reminder.status == "pending", Reminder.next_attempt_at <= now
            )
        )
        db.session.rollback()  # end the read transaction; a scrape holds nothing open
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # aggregates bypass the UtcDateTime type on SQLite
        age = GaugeMetricFamily(
            "maintenance_outbox_oldest_due_seconds",
            "Seconds the oldest due, unsent reminder has been waiting (0 when none is due).",
        )
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield age


def multiprocess_dir() -> str | None:
    """The folder shared by the processes' metric files, when running in multi-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render_metrics() -> bytes:
    """The exposition text: this process's (or all processes') metrics plus the outbox."""
    outbox = CollectorRegistry(auto_describe=True)
    outbox.register(OutboxCollector())
    if multiprocess_dir():
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        return generate_latest(processes) + generate_latest(outbox)
    return generate_latest(REGISTRY) + generate_latest(outbox)


def is_authorised(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries the metrics bearer token (constant time)."""
    return hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus scrape endpoint, for a scraper with the METRICS_TOKEN bearer token only."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        # Off unless configured: the figures (routes, outbox sizes) are not for the public.
        abort(404)
    if not is_authorised(request.headers.get("Authorization", ""), token):
        return Response(
            "a bearer token is needed for /metrics\n",
            status=401,
            content_type="text/plain; charset=utf-8",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(render_metrics(), content_type=CONTENT_TYPE_LATEST)


@bp.before_app_request
def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


# Each series' child by its labels: prometheus-client checks and locks on every labels() call,
# and every request counts into one of a few dozen series.
_request_counters: dict[tuple[str, str, int], Any] = {}
_request_timers: dict[tuple[str, str], Any] = {}


@bp.after_app_request
def _count_request(response: Response) -> Response:
    current = request._get_current_object()  # type: ignore[attr-defined]
    rule = current.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    key = (current.method, route, response.status_code)
    counter = _request_counters.get(key)
    if counter is None:
        counter = _request_counters[key] = REQUESTS.labels(key[0], route, str(key[2]))
    counter.inc()
    started = g.get("metrics_started")
    if started is not None:
        timer = _request_timers.get(key[:2])
        if timer is None:
            timer = _request_timers[key[:2]] = REQUEST_SECONDS.labels(key[0], route)
        timer.observe(time.perf_counter() - started)
    return response
