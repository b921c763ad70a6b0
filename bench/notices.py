"""A safety recall to N owners through the outbox, next to maintenance reminders that fall due.

    .venv/bin/python bench/notices.py --owners 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_notices
    .venv/bin/python bench/notices.py --owners 5000        # quick, SQLite in a temp dir

What it does: migrates an empty database (SQLite in a temporary directory unless
--database-url is given; the database is wiped first), publishes the protocol library, then
bulk-inserts N units of one washing machine model (serials SN0000001...), N owners with a
verified email address (every tenth one has paused its maintenance reminders) and their
ownerships. R more units under the library's dishwasher protocol get an owner each and a task
due today, and the materialiser turns them into maintenance reminders; half of those become due
only after FIRST_WAVE_SECONDS of simulated time, while the recall is being sent.
Then it times, for a recall over every serial:
  fan-out:  send_notice() and fan_out(): a delivery and an outbox row per owner, per chunk;
  dispatch: dispatch_once() one batch at a time (the default batch of 200), the simulated clock
            one second further per batch, into a channel that accepts and discards each
            message (what is measured is claim, render, mark; not an SMTP server's speed).
It reports messages per second for each, and for each wave of maintenance reminders how many
batches passed between it falling due and its last reminder being claimed (the claim rule
promises at most one). It checks every owner got exactly one message.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# A Monday 11:00 in Amsterdam: no quiet hours, past everyone's send hour.
NOW = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)
FIRST_WAVE_SECONDS = 60
CHUNK = 20_000


class NullChannel:
    """A channel that accepts every message at once (the real ones log and time each send)."""

    def __init__(self) -> None:
        from maintenance.notify import SendResult

        self.sent = 0
        self._result = SendResult

    def __enter__(self) -> NullChannel:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def send(self, message: object) -> object:
        self.sent += 1
        return self._result(provider_id=f"null-{self.sent}")


def fill(owners: int, reminders: int) -> None:
    """The library, N recalled units with owners, R units with a maintenance task due today."""
    from sqlalchemy import update

    from maintenance.db.bulk import insert_rows
    from maintenance.demo.data import import_library
    from maintenance.extensions import db
    from maintenance.models import ModelGtin, Owner, Ownership, ProductModel, TaskSchedule, Unit
    from maintenance.services.accounts import create_user
    from maintenance.services.reminders.materialise import materialise_due
    from maintenance.services.schedules.plan import ensure_schedules
    from tests.builders import gtin

    import_library(ROOT / "protocols" / "library")
    user = create_user("safety@example.com", "admin", "Bench Coordinator", "bench-password-1")
    maker = create_user("maker@example.com", "manufacturer", "Bench Maker", "bench-password-1")
    models = {}
    for body, category in (("871234511110", "washing-machine"), ("871234511127", "dishwasher")):
        model = ProductModel(
            organisation_id=maker.organisation_id, brand="Bench", name=category, category=category
        )
        model.gtins.append(ModelGtin(gtin=gtin(body)))
        db.session.add(model)
        models[category] = model
    db.session.commit()
    recalled = models["washing-machine"]
    verified = NOW - timedelta(days=400)
    for start in range(0, owners, CHUNK):
        numbers = range(start, min(start + CHUNK, owners))
        insert_rows(
            Unit.__table__,
            [
                {
                    "id": n + 1,
                    "gtin": recalled.gtins[0].gtin,
                    "serial": f"SN{n:07d}",
                    "product_model_id": recalled.id,
                    "created_at": verified,
                    "labels_printed": 1,
                }
                for n in numbers
            ],
        )
        insert_rows(
            Owner.__table__,
            [
                {
                    "id": n + 1,
                    "email": f"owner{n}@example.nl",
                    "email_verified_at": verified,
                    "channel": "email",
                    "language": "nl" if n % 3 else "en",
                    "time_zone": "Europe/Amsterdam",
                    "preferred_hour": 9,
                    "digest": True,
                    "paused": n % 10 == 0,
                    "created_at": verified,
                    "session_secret": f"{n:064d}",
                }
                for n in numbers
            ],
        )
        insert_rows(
            Ownership.__table__,
            [
                {"owner_id": n + 1, "unit_id": n + 1, "role": "owner", "started_at": verified}
                for n in numbers
            ],
        )
        db.session.commit()
    _fix_sequences()
    today = NOW.date()
    for n in range(reminders):
        unit = Unit(gtin=models["dishwasher"].gtins[0].gtin, serial=f"DW{n}", sold_on=today)
        unit.product_model = models["dishwasher"]
        owner = Owner(email=f"keeper{n}@example.nl", email_verified_at=verified)
        db.session.add_all([unit, owner])
        db.session.flush()
        db.session.add(Ownership(owner_id=owner.id, unit_id=unit.id))
        db.session.commit()
        ensure_schedules(unit, today - timedelta(days=400))
        db.session.execute(
            update(TaskSchedule)
            .where(TaskSchedule.unit_id == unit.id)
            .values(next_due=today, next_action_on=today, snoozed_until=None)
        )
        db.session.commit()
    materialise_due(NOW)
    del user


def _fix_sequences() -> None:
    """PostgreSQL sequences past the ids the bulk insert gave."""
    from sqlalchemy import text

    from maintenance.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("unit", "owner", "ownership"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        )
    db.session.commit()


def run(owners: int, reminders: int) -> dict[str, float]:
    """Send the recall and dispatch; the figures."""
    from sqlalchemy import func, select, update

    from maintenance.extensions import db
    from maintenance.models import NoticeDelivery, Reminder, User
    from maintenance.services.notices import authoring, fanout
    from maintenance.services.reminders.dispatch import dispatch_once
    from tests.services.notices.builders import recall_body

    maintenance = select(Reminder.id).where(Reminder.kind != "notice").order_by(Reminder.id)
    ids = list(db.session.scalars(maintenance))
    late = ids[len(ids) // 2 :]
    db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(late))
        .values(next_attempt_at=NOW + timedelta(seconds=FIRST_WAVE_SECONDS))
    )
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.email == "safety@example.com"))
    gtin = _recalled_gtin()
    body = recall_body(gtins=[gtin], serials={"ranges": [["SN0000000", "SN9999999"]]})
    started = time.perf_counter()
    notice = authoring.create_notice(authoring.read_notice(body, admin), admin, NOW)
    authoring.send_notice(notice, admin, NOW)
    fanout.fan_out(NOW)
    fanned = time.perf_counter() - started
    queued = db.session.scalar(
        select(func.count()).select_from(Reminder).where(Reminder.kind == "notice")
    )
    channel = NullChannel()
    channels = {"email": channel, "sms": channel}
    waves = {"at start": (ids[: len(ids) // 2], 0), "while sending": (late, FIRST_WAVE_SECONDS)}
    claimed_in: dict[str, int] = {}
    batch = 0
    dispatched = 0.0
    started = time.perf_counter()
    while True:
        result = dispatch_once(NOW + timedelta(seconds=batch), channels=channels, max_batches=1)
        batch += 1
        if not dispatched and _notices_left() == 0:
            dispatched = time.perf_counter() - started  # the recall is out: its time
        for name, (wave, due_after) in waves.items():
            if name not in claimed_in and batch > due_after and _pending(wave) == 0:
                claimed_in[name] = batch - due_after
        if result.claimed == 0 and batch > FIRST_WAVE_SECONDS + 1 and dispatched:
            break
    sent = db.session.scalar(
        select(func.count()).select_from(NoticeDelivery).where(NoticeDelivery.sent_at.is_not(None))
    )
    assert sent == owners, f"{sent} owners reached of {owners}"
    assert channel.sent == owners + len(ids), (channel.sent, owners, len(ids))
    return {
        "queued": queued,
        "fan_out_s": fanned,
        "fan_out_per_s": owners / fanned,
        "dispatch_s": dispatched,
        "dispatch_per_s": owners / dispatched,
        "batches (200 each)": batch,
        **{f"batches until wave '{k}' claimed": v for k, v in claimed_in.items()},
    }


def _pending(ids: list[int]) -> int:
    from sqlalchemy import func, select

    from maintenance.extensions import db
    from maintenance.models import Reminder

    left = db.session.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.id.in_(ids), Reminder.status == "pending")
    )
    db.session.remove()
    return int(left or 0)


def _notices_left() -> int:
    from sqlalchemy import func, select

    from maintenance.extensions import db
    from maintenance.models import Reminder

    left = db.session.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.kind == "notice", Reminder.status.in_(("pending", "sending")))
    )
    db.session.remove()
    return int(left or 0)


def _recalled_gtin() -> str:
    from sqlalchemy import select

    from maintenance.extensions import db
    from maintenance.models import ModelGtin, ProductModel

    return db.session.scalar(
        select(ModelGtin.gtin).join(ProductModel).where(ProductModel.name == "washing-machine")
    )


def main() -> None:
    """Parse options, build a fresh database, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=100)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    url = options.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    from flask_migrate import upgrade
    from sqlalchemy import text

    from maintenance import create_app
    from maintenance.config import Config
    from maintenance.extensions import db

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, OUTBOX_DIR=str(workdir / "outbox"))
    app.logger.setLevel("WARNING")
    import logging

    logging.getLogger("maintenance").setLevel(logging.WARNING)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        started = time.perf_counter()
        fill(options.owners, options.reminders)
        print(f"filled {options.owners} owners in {time.perf_counter() - started:.1f} s")
        figures = run(options.owners, options.reminders)
    for name, value in figures.items():
        print(f"{name}: {value:,.1f}" if isinstance(value, float) else f"{name}: {value}")
    print(f"database: {url.split('@')[-1]}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
