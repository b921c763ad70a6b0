"""Counting scans for the figures: each process holds its newest scans, written in batches."""

# A scan is the busiest request the service answers and its count is anonymous statistics, so it
# does not get a write and a commit of its own: rows wait in memory until SCAN_BATCH_SIZE of them
# are there or the oldest is SCAN_FLUSH_SECONDS old, then go to the database in one INSERT. A
# process that exits normally (gunicorn replacing a worker, a deploy) writes what it holds first;
# a process that is killed loses at most those seconds of counts, never anything a person entered.
# SCAN_BATCH_SIZE=1 writes each scan at once, in its own request.

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from maintenance.clock import local_today
from maintenance.db.bulk import insert_rows
from maintenance.db.transactions import transactional
from maintenance.models import ScanEvent
from maintenance.models._base import utcnow

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: list[dict[str, Any]] = []
_timer: threading.Timer | None = None
_app: Flask | None = None  # the application whose database the pending rows belong to


def record_scan(gtin: str, model_id: int | None, unit_id: int | None, source: str) -> None:
    """Count one anonymous page view of a unit or model; written now or with its batch."""
    global _app
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    row = {
        "gtin": gtin,
        "product_model_id": model_id,
        "unit_id": unit_id,
        "day": local_today(app.config["DEFAULT_TIME_ZONE"], now),
        "source": source,
        "at": now,
    }
    with _lock:
        if _app is not app and _pending:
            # Another application (tests build several) must not receive this one's rows.
            _pending.clear()
        _app = app
        _pending.append(row)
        full = len(_pending) >= app.config["SCAN_BATCH_SIZE"]
        if not full:
            _start_timer(app.config["SCAN_FLUSH_SECONDS"])
    if full:
        try:
            write_pending_scans()
        except SQLAlchemyError:
            # The page is already made; a scan's count is not worth an error page.
            logger.exception("could not write the scans held in memory; they are not counted")


def write_pending_scans() -> int:
    """Write the scans this process holds in one INSERT (needs an app context); how many."""
    rows = _take_pending()
    if rows:
        _insert(rows)
    return len(rows)


def pending_scans() -> int:
    """How many scans this process holds that are not written yet."""
    with _lock:
        return len(_pending)


def _take_pending() -> list[dict[str, Any]]:
    """Empty the buffer and stop its timer; the rows it held."""
    global _timer
    with _lock:
        rows = list(_pending)
        _pending.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    return rows


@transactional
def _insert(rows: list[dict[str, Any]]) -> None:
    insert_rows(ScanEvent.__table__, rows)


def _start_timer(seconds: float) -> None:
    """Write the batch after `seconds` even if no further scan fills it (caller holds _lock)."""
    global _timer
    if _timer is None:
        _timer = threading.Timer(seconds, _write_in_background)
        _timer.daemon = True
        _timer.start()


def _write_in_background() -> None:
    """The timer's and the exit hook's write, in an app context of its own."""
    global _timer
    with _lock:
        app, _timer = _app, None
    if app is None:
        return
    try:
        with app.app_context():
            write_pending_scans()
    except Exception:
        # Only counts are at stake and the database is the likely cause; say so and go on.
        logger.exception("could not write the scans held in memory; they are not counted")


atexit.register(_write_in_background)
