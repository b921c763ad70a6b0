"""Send queued webhook deliveries: claim a batch with a lease, post each signed, record outcomes.

Claims follow the reminder outbox (services/reminders/claim.py): FOR UPDATE SKIP LOCKED on
PostgreSQL, so parallel schedulers never share a delivery; the lease is the ticket that lets
only the claimant record the outcome. Nothing is locked while a request is under way.
A delivery answered with 2xx is done; anything else is retried with exponential backoff
(1 minute, doubling, at most 6 hours) until WEBHOOK_MAX_ATTEMPTS, then it is failed.
Redirects are not followed: a receiver that moved must be set anew (and checked anew).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import WebhookDelivery, WebhookEndpoint
from maintenance.services.webhooks.signing import headers
from maintenance.services.webhooks.urls import Target, WebhookUrlError, check_url

BATCH_SIZE = 50
LEASE_SECONDS = 300
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600
ERROR_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    """What one pass did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: doubling from a minute, capped."""
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)))


@transactional
def claim(now: datetime, limit: int = BATCH_SIZE) -> tuple[list[int], datetime]:
    """Take up to `limit` due deliveries: pending ones first, then those whose lease ran out."""
    lease_until = now + timedelta(seconds=LEASE_SECONDS)
    row = WebhookDelivery
    waiting = (row.status == "pending") & (row.next_attempt_at <= now)
    abandoned = (row.status == "sending") & (row.lease_until < now)
    ids: list[int] = []
    for condition in (waiting, abandoned):
        wanted = limit - len(ids)
        if wanted <= 0:
            break
        # Counted at claim time, so a delivery that crashes its sender still runs out of tries.
        candidates = (
            select(row.id)
            .where(condition)
            .order_by(row.next_attempt_at)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        )
        taken = update(row).where(row.id.in_(candidates.scalar_subquery()))
        taken = taken.values(status="sending", lease_until=lease_until, attempts=row.attempts + 1)
        ids += db.session.scalars(
            taken.returning(row.id).execution_options(synchronize_session=False)
        ).all()
    return sorted(ids), lease_until


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address the URL check resolved, so DNS cannot change it in between."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned = target.address

    def connect(self) -> None:
        """Open the TCP connection to the checked address."""
        self.sock = socket.create_connection((self.pinned, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, over TLS, with the certificate checked against the URL's host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned = target.address
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        """Open the TCP connection to the checked address, then TLS for the URL's host."""
        raw = socket.create_connection((self.pinned, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, secret: str, message_id: str, timestamp: int, body: bytes) -> str | None:
    """Post one signed delivery; None when the receiver answered 2xx, else the reason."""
    try:
        target = check_url(url)  # again: the name may resolve elsewhere since it was saved
    except WebhookUrlError as exc:
        return f"refused: {exc}"
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS") or 10)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body, headers=headers(secret, message_id, timestamp, body)
        )
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer is not kept; read a little so the socket closes
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return None if 200 <= response.status < 300 else f"HTTP {response.status}"


@transactional
def _record(delivery_id: int, lease_until: datetime, error: str | None, now: datetime) -> str:
    """Write an attempt's outcome if the lease is still ours; the delivery's new status."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.lease_until != lease_until:
        return "lost"  # another scheduler took it over after our lease ran out
    max_attempts = int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS") or 8)
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
    elif delivery.attempts >= max_attempts:
        delivery.status, delivery.last_error = "failed", error[:ERROR_CHARS]
    else:
        delivery.status, delivery.last_error = "pending", error[:ERROR_CHARS]
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.lease_until = None
    endpoint = delivery.endpoint
    endpoint.last_attempt_at = now
    endpoint.last_status = "retrying" if delivery.status == "pending" else delivery.status
    endpoint.last_error = delivery.last_error
    return delivery.status


def deliver_due(now: datetime) -> Outcome:
    """One pass: send every due delivery, a batch at a time, and record each outcome."""
    counts = {"delivered": 0, "pending": 0, "failed": 0, "lost": 0}
    while True:
        ids, lease_until = claim(now)
        if not ids:
            break
        rows = db.session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.message_id,
                WebhookDelivery.payload,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(ids))
        ).all()
        db.session.rollback()  # no transaction stays open while requests are under way
        for delivery_id, message_id, payload, url, secret in rows:
            body = json.dumps(payload, separators=(",", ":")).encode()
            error = post(url, secret, message_id, int(now.timestamp()), body)
            counts[_record(delivery_id, lease_until, error, now)] += 1
    return Outcome(counts["delivered"], counts["pending"], counts["failed"])
