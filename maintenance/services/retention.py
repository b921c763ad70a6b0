"""Data lifecycle: delete what is kept no longer than its period (settings RETAIN_*_DAYS).

Delivery events hold provider reports and error texts (which may quote an address); scan
events are anonymous but pile up. Unconfirmed sign-ups follow the owners' own rule
(maintenance.services.owners.erase.purge_unconfirmed). A period of 0 days keeps rows forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import ColumnElement, delete
from sqlalchemy.orm import QueryableAttribute

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import DeliveryEvent, ScanEvent
from maintenance.services.owners.erase import purge_unconfirmed

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

logger = logging.getLogger("maintenance.services.retention")


@dataclass
class RetentionResult:
    """Rows deleted by one retention run."""

    delivery_events: int = 0
    scan_events: int = 0
    unconfirmed_owners: int = 0


def cutoff(now: datetime, setting: str) -> datetime | None:
    """The moment before which rows go, or None when the setting keeps them forever."""
    days = int(current_app.config.get(setting) or 0)
    return now - timedelta(days=days) if days > 0 else None


@transactional
def _delete_before(
    model: Any, column: ColumnElement[datetime] | QueryableAttribute[datetime], before: datetime
) -> int:
    """Delete one table's rows older than `before` in its own transaction; returns the count."""
    result = db.session.execute(delete(model).where(column < before))
    # An UPDATE or DELETE gives a CursorResult; Session.execute is typed with the plain Result.
    return cast("CursorResult[Any]", result).rowcount or 0


def apply_retention(now: datetime) -> RetentionResult:
    """Delete delivery events, scan events and unconfirmed sign-ups past their periods."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    result = RetentionResult()
    before = cutoff(now, "RETAIN_DELIVERY_EVENTS_DAYS")
    if before is not None:
        result.delivery_events = _delete_before(DeliveryEvent, DeliveryEvent.at, before)
    before = cutoff(now, "RETAIN_SCAN_EVENTS_DAYS")
    if before is not None:
        result.scan_events = _delete_before(ScanEvent, ScanEvent.at, before)
    result.unconfirmed_owners = purge_unconfirmed(now)
    return result
