"""Claimed reminders: a dispatcher whose lease was taken over changes nothing; an address that
bounced hard gets none of its other reminders already claimed in the same pass."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from maintenance.extensions import db
from maintenance.models import DeliveryEvent, Event, Owner
from maintenance.notify import Channel, Message, SendResult
from maintenance.services.reminders import dispatch
from maintenance.services.reminders.claim import DEFAULT_LEASE_SECONDS, Claim, claim_batch
from maintenance.services.reminders.dispatch import dispatch_once
from maintenance.services.reminders.materialise import materialise_due
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due
from tests.fakes import FakeSmtpServer

TODAY = date(2025, 3, 10)
MATERIALISE_AT = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
SEND_AT = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
# When the first dispatcher's lease has run out and a second one may take its reminders.
AFTER_LEASE = SEND_AT + timedelta(seconds=DEFAULT_LEASE_SECONDS + 60)


class WrappedChannel(Channel):
    """A real channel wrapped so a test can act around its sends; opens and closes with it."""

    def __init__(self, inner: Channel) -> None:
        super().__init__()
        self.inner = inner

    def open(self) -> None:
        super().open()
        self.inner.open()

    def close(self) -> None:
        self.inner.close()
        super().close()


class LeaseLostWhileSending(WrappedChannel):
    """The real email channel; as the first message goes, another dispatcher claims it."""

    def __init__(self, inner: Channel) -> None:
        super().__init__(inner)
        self.second: Claim | None = None

    def _send(self, message: Message) -> SendResult:
        # As if this send stalled past the lease: a second dispatcher takes the reminder over.
        self.second = claim_batch(AFTER_LEASE, 10)
        return self.inner.send(message)


def _due_reminder() -> Owner:
    owner = make_owner()
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY)
    materialise_due(MATERIALISE_AT)
    return owner


def _events(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == kind))


@pytest.mark.parametrize("bounce", [False, True], ids=["sent", "hard-bounce"])
def test_a_dispatcher_that_lost_its_lease_records_nothing(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer, bounce: bool
) -> None:
    owner = _due_reminder()
    if bounce:
        smtp_server.reject(owner.email, 550)
    slow = LeaseLostWhileSending(channels["email"])

    result = dispatch_once(SEND_AT, channels={**channels, "email": slow}, max_batches=1)

    assert slow.second is not None and len(slow.second.ids) == 1
    [reminder] = reminders()
    # The reminder is the second dispatcher's, untouched: its lease, no outcome, no events.
    assert reminder.status == "sending"
    assert reminder.lease_until == slow.second.lease_until
    assert reminder.sent_at is None and reminder.provider_id is None
    assert reminder.last_error is None
    assert (result.sent, result.failed, result.retried) == (0, 0, 0)
    assert _events("reminder_sent") == 0 and _events("reminder_failed") == 0
    assert db.session.scalar(select(func.count()).select_from(DeliveryEvent)) == 0
    db.session.refresh(owner)
    assert owner.email_suppressed_at is None


def test_the_dispatcher_holding_the_lease_records_the_outcome(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer
) -> None:
    _due_reminder()

    result = dispatch_once(SEND_AT, channels=channels)

    [reminder] = reminders()
    assert result.sent == 1
    assert reminder.status == "sent" and reminder.lease_until is None
    assert reminder.provider_id == reminder.message_id
    # One event per task in the digest, for the dashboards: unit, task, channel, due date.
    events = db.session.scalars(select(Event).where(Event.kind == "reminder_sent")).all()
    assert sorted(event.task_key for event in events) == ["clean-filter", "refill-salt"]
    for event in events:
        assert event.unit_id is not None and event.product_model_id is not None
        assert event.channel == "email" and event.category == "dishwasher"
        assert event.due_on == TODAY and event.day == TODAY and event.days_late == 0


@pytest.mark.parametrize("batch_size", [200, 1], ids=["same-batch", "next-batch"])
def test_after_a_hard_bounce_no_other_claimed_reminder_goes_to_that_address(
    db: object, channels: dict[str, Channel], smtp_server: FakeSmtpServer, batch_size: int
) -> None:
    owner = make_owner(digest=False)
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY, check_hoses=TODAY)
    materialise_due(MATERIALISE_AT)
    smtp_server.reject(owner.email, 550)

    result = dispatch_once(SEND_AT, channels=channels, batch_size=batch_size)

    statuses = sorted(reminder.status for reminder in reminders())
    # One attempt only: the others are cancelled, whether still pending or claimed already.
    assert result.failed == 1 and result.sent == 0
    assert statuses == ["cancelled", "cancelled", "failed"]
    assert all("suppressed" in r.last_error for r in reminders() if r.status == "cancelled")


class BounceAfterNextBatchIsReady(WrappedChannel):
    """The real email channel; the first send waits until the next batch has been rendered."""

    def __init__(self, inner: Channel, next_batch_ready: threading.Event) -> None:
        super().__init__(inner)
        self.next_batch_ready = next_batch_ready
        self.attempts = 0

    def _send(self, message: Message) -> SendResult:
        self.attempts += 1
        if self.attempts == 1:
            # A safety limit only, so a broken dispatcher fails the test instead of hanging it.
            self.next_batch_ready.wait(timeout=60)
        return self.inner.send(message)


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): only there does dispatch send on a second "
    "thread while it renders the next batch",
)
def test_a_hard_bounce_stops_the_batch_rendered_meanwhile_on_postgresql(
    db: object,
    channels: dict[str, Channel],
    smtp_server: FakeSmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = make_owner(digest=False)
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY, refill_salt=TODAY, check_hoses=TODAY)
    materialise_due(MATERIALISE_AT)
    smtp_server.reject(owner.email, 550)
    next_batch_ready = threading.Event()
    prepared = []

    def prepare(*args: object) -> object:
        jobs = original(*args)
        prepared.append(len(jobs))
        if len(prepared) == 2:
            next_batch_ready.set()
        return jobs

    original = dispatch.prepare
    monkeypatch.setattr(dispatch, "prepare", prepare)
    email = BounceAfterNextBatchIsReady(channels["email"], next_batch_ready)

    result = dispatch_once(SEND_AT, channels={**channels, "email": email}, batch_size=1)

    # The second reminder was rendered before the bounce was known, and still never went.
    assert next_batch_ready.is_set() and prepared[:2] == [1, 1]
    assert email.attempts == 1
    assert result.failed == 1 and result.sent == 0
    assert sorted(reminder.status for reminder in reminders()) == [
        "cancelled",
        "cancelled",
        "failed",
    ]
    assert all("suppressed" in r.last_error for r in reminders() if r.status == "cancelled")
