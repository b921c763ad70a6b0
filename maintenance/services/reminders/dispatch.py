"""One dispatch pass: claim batches, render, send on one connection per channel, record outcomes."""

# Nothing is held locked while messages go out: a claim commits its lease first, and outcomes are
# written afterwards, guarded by that lease. A message is marked sent right after its batch chunk
# is sent, so only a crash between sending and marking can send it twice.

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask, current_app

from maintenance.db.bulk import on_postgresql
from maintenance.notify import Channel, SendError, channels_from_settings
from maintenance.ops import metrics
from maintenance.services.reminders.batch import Job, Outcomes, TaskTexts, prepare
from maintenance.services.reminders.claim import DEFAULT_LEASE_SECONDS, Claim, claim_batch
from maintenance.services.reminders.outcomes import DispatchResult, record_outcomes

logger = logging.getLogger("maintenance.services.reminders")

DEFAULT_BATCH_SIZE = 200
# Outcomes are written every this many sends: fewer commits, and a crash repeats at most these.
MARK_EVERY = 50
# Stop sending this long before the lease ends, so no other dispatcher can have taken the rest.
LEASE_MARGIN_SECONDS = 30


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def _send_jobs(
    jobs: list[Job],
    channels: Mapping[str, Channel],
    claim: Claim,
    clock: datetime,
    deadline: float,
    rng: random.Random,
    result: DispatchResult,
    bounced: dict[tuple[int, str], str],
) -> None:
    """Send each channel's jobs over one connection, recording outcomes every MARK_EVERY sends.

    `bounced` holds the (owner, channel) pairs that failed permanently in this pass, with the
    reason: their other reminders, claimed already and so not cancelled with the pending ones,
    are cancelled instead of sent.
    """
    by_channel: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_channel[job.reminder.channel].append(job)
    for name, channel_jobs in by_channel.items():
        started = time.perf_counter()
        outcomes = Outcomes()
        counts = Outcomes()  # every outcome of the channel's jobs, for the batch's log line
        with channels[name] as channel:
            for position, job in enumerate(channel_jobs):
                if time.monotonic() > deadline:
                    # Our lease is about to end: hand the rest back untouched.
                    outcomes.released.extend(j.reminder_id for j in channel_jobs[position:])
                    break
                reason = bounced.get((job.reminder.owner_id, name))
                if reason is not None:
                    outcomes.cancelled.append((job.reminder_id, f"{name} suppressed: {reason}"))
                    continue
                assert job.message is not None
                try:
                    sent = channel.send(job.message)
                    outcomes.sent.append((job, sent.provider_id))
                except SendError as error:
                    outcomes.failed.append((job, error))
                    if error.permanent:
                        bounced[(job.reminder.owner_id, name)] = error.reason
                except Exception as error:  # a bug in one message must not strand the batch
                    logger.exception("reminder %s: unexpected send error", job.reminder_id)
                    outcomes.failed.append((job, SendError(repr(error), permanent=False)))
                if len(outcomes.sent) + len(outcomes.failed) >= MARK_EVERY:
                    record_outcomes(outcomes, claim, clock, rng, result)
                    counts.add(outcomes)
                    outcomes = Outcomes()
        if outcomes:
            record_outcomes(outcomes, claim, clock, rng, result)
            counts.add(outcomes)
        _log_batch(name, channel_jobs, counts, started)


def _log_batch(name: str, jobs: list[Job], counts: Outcomes, started: float) -> None:
    """One INFO line per batch and channel: the sends log only at DEBUG inside a batch."""
    ids = [job.reminder_id for job in jobs]
    logger.info(
        "%s batch of %d (reminders %d-%d) in %.1f ms: %d sent, %d failed, %d cancelled, "
        "%d handed back",
        name,
        len(jobs),
        min(ids),
        max(ids),
        (time.perf_counter() - started) * 1000,
        len(counts.sent),
        len(counts.failed),
        len(counts.cancelled),
        len(counts.released),
    )


def _send_batch(
    app: Flask,
    jobs: list[Job],
    channels: Mapping[str, Channel],
    claim: Claim,
    clock: datetime,
    deadline: float,
    rng: random.Random,
    claimed_at: float,
    bounced: dict[tuple[int, str], str],
) -> DispatchResult:
    """Send one batch and record its outcomes in a database session of its own."""
    result = DispatchResult()
    with app.app_context():
        _send_jobs(jobs, channels, claim, clock, deadline, rng, result, bounced)
    metrics.observe_dispatch(time.monotonic() - claimed_at)
    return result


def dispatch_once(
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    channels: Mapping[str, Channel] | None = None,
    rng: random.Random | None = None,
    max_batches: int | None = None,
) -> DispatchResult:
    """Send every reminder due at `now` (aware): claim batches until none is left.

    On PostgreSQL one batch is sent (and its outcomes written) in a second thread while the next
    one is claimed and rendered: sending mostly waits on the mail server, so the two overlap.
    Batches are still sent strictly one after the other, and each send first checks the pass's
    hard bounces, so a bounce in one batch stops that address's messages in every later batch,
    even one rendered while the bounce happened. SQLite allows one writer at a time, so there
    the batches go one after the other.
    """
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    channels = channels or channels_from_settings(current_app.config)
    rng = rng or random.Random()
    lease_seconds = _setting("REMINDER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    started = time.monotonic()
    total = DispatchResult()
    batches = 0
    # Only the sending side reads and writes it, one batch at a time, so it needs no lock.
    bounced: dict[tuple[int, str], str] = {}
    tasks = TaskTexts()
    sender = ThreadPoolExecutor(1, "reminder-sender") if on_postgresql() else None
    sending: Future[DispatchResult] | None = None
    try:
        while max_batches is None or batches < max_batches:
            # Time moves on during a long pass; leases and due times follow it.
            clock = now + timedelta(seconds=time.monotonic() - started)
            claimed_at = time.monotonic()
            claim = claim_batch(clock, batch_size, lease_seconds)
            if not claim.ids:
                break
            batches += 1
            total.claimed += len(claim.ids)
            outcomes = Outcomes()
            jobs = prepare(claim, clock, outcomes, tasks)
            if outcomes:
                record_outcomes(outcomes, claim, clock, rng, total)
            deadline = claimed_at + lease_seconds - min(LEASE_MARGIN_SECONDS, lease_seconds / 10)
            # One batch in flight at most: the channels carry one batch at a time, in order.
            if sending is not None:
                total.add(sending.result())
                sending = None
            batch = (app, jobs, channels, claim, clock, deadline, rng, claimed_at, bounced)
            if sender is None:
                total.add(_send_batch(*batch))
            else:
                sending = sender.submit(_send_batch, *batch)
    finally:
        if sending is not None:
            total.add(sending.result())
        if sender is not None:
            sender.shutdown()
    return total
