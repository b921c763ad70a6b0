"""PostgreSQL only: parallel dispatcher processes send each reminder exactly once, and a
dispatcher killed mid-batch loses nothing once its lease has expired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from maintenance.config import ROOT
from maintenance.extensions import db as _db
from maintenance.models import Owner, Ownership, Reminder, ReminderItem, TaskSchedule, Unit
from maintenance.notify import channels_from_settings
from maintenance.services.reminders.claim import DEFAULT_LEASE_SECONDS
from maintenance.services.reminders.dispatch import MARK_EVERY, dispatch_once
from tests.builders import make_planned_unit

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no row locks to share work by",
)

NOW = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam: no quiet hours
DUE = date(2025, 3, 12)


def _add_due_reminders(count: int) -> None:
    """count SMS owners, each with a unit and one pending reminder due now, inserted in bulk.

    SMS to the file outbox is the fastest real sink: the test is about claiming, not MIME.
    """
    template = make_planned_unit(DUE)
    schedule = _db.session.scalar(select(TaskSchedule).where(TaskSchedule.unit_id == template.id))
    session = _db.session
    base = 1_000_000
    ids = range(base, base + count)
    session.execute(
        insert(Unit),
        [
            {
                "id": i,
                "gtin": template.gtin,
                "serial": f"P{i}",
                "product_model_id": template.product_model_id,
                "sold_on": DUE,
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Owner),
        [
            {"id": i, "phone": f"+3161{i:07d}", "phone_verified_at": NOW, "channel": "sms"}
            for i in ids
        ],
    )
    session.execute(insert(Ownership), [{"owner_id": i, "unit_id": i} for i in ids])
    session.execute(
        insert(TaskSchedule),
        [
            {
                "id": i,
                "unit_id": i,
                "task_key": schedule.task_key,
                "version_id": schedule.version_id,
                "start_on": DUE,
                "next_due": DUE,
            }
            for i in ids
        ],
    )
    session.execute(
        insert(Reminder),
        [
            {
                "id": i,
                "dedupe_key": f"bulk:{i}",
                "owner_id": i,
                "channel": "sms",
                "send_on": NOW.date(),
                "next_attempt_at": NOW - timedelta(minutes=1),
            }
            for i in ids
        ],
    )
    session.execute(
        insert(ReminderItem),
        [{"reminder_id": i, "schedule_id": i, "due_on": DUE} for i in ids],
    )
    session.commit()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Path]:
    """An outbox directory in memory when possible: thousands of files on disk slow the test."""
    memory = Path("/dev/shm")
    if not (memory.is_dir() and os.access(memory, os.W_OK)):
        yield tmp_path / "outbox"
        return
    with tempfile.TemporaryDirectory(dir=memory, prefix="outbox-") as directory:
        yield Path(directory)


def _dispatcher(outbox: Path, now: datetime) -> subprocess.Popen[bytes]:
    """`maintenance dispatch --now` in its own process, writing to the file outbox."""
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"],
        "OUTBOX_DIR": str(outbox),
        "MAIL_SERVER": "",
        "TWILIO_ACCOUNT_SID": "",
        "BASE_URL": "http://localhost",
        "SECRET_KEY": "test-secret",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "maintenance.cli", "dispatch", "--now", now.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _received(outbox: Path) -> Counter[str]:
    """Messages per recipient in the outbox (the recipient is part of each file name)."""
    return Counter(path.name.split("-sms-")[1].rsplit("-", 1)[0] for path in outbox.glob("*.txt"))


def _status_counts() -> dict[str, int]:
    _db.session.expire_all()
    rows = _db.session.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
    return dict(rows.tuples().all())


def test_four_dispatcher_processes_send_20000_reminders_exactly_once_on_postgresql(
    db: object, outbox: Path
) -> None:
    count = 20_000
    _add_due_reminders(count)

    processes = [_dispatcher(outbox, NOW) for _ in range(4)]
    outputs = [process.communicate(timeout=600) for process in processes]

    assert all(process.returncode == 0 for process in processes), outputs
    received = _received(outbox)
    assert len(received) == count
    assert set(received.values()) == {1}
    assert _status_counts() == {"sent": count}
    # Every process did part of the work: the rows were shared, not serialised behind one.
    assert sum(b"'sent': 0," in out for out, _ in outputs) <= 1


def test_a_killed_dispatcher_loses_nothing_after_its_lease_expires_on_postgresql(
    app: Flask, db: object, outbox: Path
) -> None:
    count = 3_000
    _add_due_reminders(count)
    process = _dispatcher(outbox, NOW)
    # Wait for the dispatcher to be well into its work (a condition, not a deadline).
    while len(list(outbox.glob("*.txt"))) < 500 if outbox.exists() else True:
        assert process.poll() is None, "the dispatcher finished before it could be killed"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stranded = _status_counts().get("sending", 0)

    # Before the lease ends, nobody may take the killed dispatcher's reminders.
    channels = channels_from_settings({**app.config, "OUTBOX_DIR": str(outbox)})
    early = dispatch_once(NOW + timedelta(seconds=1), channels=channels, max_batches=1000)
    assert _status_counts().get("sending", 0) == stranded
    after = dispatch_once(NOW + timedelta(seconds=DEFAULT_LEASE_SECONDS + 60), channels=channels)

    received = _received(outbox)
    assert stranded > 0
    assert after.claimed >= stranded
    assert early.sent + after.sent <= count
    assert _status_counts() == {"sent": count}
    assert len(received) == count  # none lost
    # Only messages sent but not yet marked when the process died can go twice.
    assert sum(received.values()) - count <= MARK_EVERY
