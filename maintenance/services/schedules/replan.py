"""Re-planning the units of a protocol after a new version: queued, then worked off in chunks."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import or_, select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import ProductModel, Protocol, ReplanQueue, TaskSchedule, Unit
from maintenance.models._base import utcnow
from maintenance.services.catalog import protocol_for_model
from maintenance.services.schedules.plan import ensure_schedules
from maintenance.services.webhooks import protocol_replanned

# Units re-planned per transaction when working off the queue: short locks, steady progress.
REPLAN_CHUNK = 500
# The longest failure reason kept on a queue entry.
REPLAN_FAILURE_CHARS = 500

logger = logging.getLogger(__name__)


def models_using(protocol: Protocol) -> list[ProductModel]:
    """The product models for which this protocol is the one in force."""
    if protocol.scope != "default":
        candidates = select(ProductModel).where(ProductModel.protocol_id == protocol.id)
    else:
        candidates = select(ProductModel).where(
            ProductModel.category == protocol.category, ProductModel.protocol_id.is_(None)
        )
    return [
        model
        for model in db.session.scalars(candidates)
        if (found := protocol_for_model(model)) is not None and found.id == protocol.id
    ]


def queue_replan(protocol: Protocol) -> None:
    """Have the scheduler re-plan the units of the protocol's models (in the caller's commit).

    A newer version re-plans future dates; a protocol already queued starts over, as every
    unit is now behind the newest version.
    """
    queued = db.session.get(ReplanQueue, protocol.id)
    if queued is None:
        db.session.add(ReplanQueue(protocol_id=protocol.id))
    else:
        queued.after_unit_id, queued.queued_at = 0, utcnow()


def replan_queued(today: date, chunk: int = REPLAN_CHUNK) -> int:
    """Re-plan the queued protocols' units, a chunk per transaction, until none is left; how many.

    Pages and "my appliances" re-plan a unit on sight meanwhile, so what waits here is the
    stored plan that reminders are made from. An entry whose units cannot be planned is marked
    failed with its reason and skipped, so it never holds up the others; publishing the
    protocol again queues it anew. Several schedulers share one protocol's chunks.
    """
    total = 0
    while (claimed := _claim_replan_chunk(chunk)) is not None:
        protocol_id, unit_ids = claimed
        try:
            total += _replan_units(protocol_id, unit_ids, today)
        except _ReplanFailed as failed:  # its chunk was rolled back; mark it in a fresh one
            _mark_replan_failed(failed.protocol_id, failed.reason)
    return total


class _ReplanFailed(Exception):
    """The units of a queued protocol could not be re-planned."""

    def __init__(self, protocol_id: int, reason: str) -> None:
        super().__init__(reason)
        self.protocol_id, self.reason = protocol_id, reason


@transactional
def _claim_replan_chunk(chunk: int) -> tuple[int, list[int]] | None:
    """The next `chunk` stale units of a queued protocol, its cursor moved past them.

    The queue row is locked only while a chunk is chosen (milliseconds), not while it is
    re-planned, so several schedulers re-plan one protocol's chunks side by side. At the end the
    cursor goes back to the start once: units of a chunk whose scheduler died are still stale
    and are found again; only when none is left is the entry removed.
    """
    # A failed entry waits until the protocol is queued again (a new publish moves queued_at
    # past failed_at).
    queued = db.session.scalars(
        select(ReplanQueue)
        .where(or_(ReplanQueue.failed_at.is_(None), ReplanQueue.queued_at > ReplanQueue.failed_at))
        .order_by(ReplanQueue.queued_at)
        .with_for_update()
    ).first()
    if queued is None:
        return None
    protocol = db.session.get(Protocol, queued.protocol_id)
    model_ids = [model.id for model in models_using(protocol)] if protocol else []
    unit_ids: list[int] = []
    if protocol is not None and protocol.versions and model_ids:
        # In unit id order from where the last chunk stopped, so each unit is read once.
        unit_ids = list(
            db.session.scalars(
                select(TaskSchedule.unit_id)
                .join(Unit, Unit.id == TaskSchedule.unit_id)
                .where(
                    Unit.product_model_id.in_(model_ids),
                    TaskSchedule.version_id != protocol.current.id,
                    TaskSchedule.unit_id > queued.after_unit_id,
                )
                .group_by(TaskSchedule.unit_id)
                .order_by(TaskSchedule.unit_id)
                .limit(chunk)
            )
        )
    if unit_ids:
        queued.after_unit_id = unit_ids[-1]
    elif queued.after_unit_id:
        queued.after_unit_id = 0  # once more from the start, for chunks that did not finish
    else:
        db.session.delete(queued)
        protocol_replanned(queued.protocol_id)
    return queued.protocol_id, unit_ids


@transactional
def _replan_units(protocol_id: int, unit_ids: list[int], today: date) -> int:
    """Re-plan some units of a queued protocol in one transaction; how many."""
    try:
        for unit in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))):
            ensure_schedules(unit, today)
    except (ValueError, ArithmeticError, LookupError, TypeError) as exc:
        # A version that cannot be planned (a duration past the calendar's end, stored before
        # durations were bounded): the same error on every run, so retrying would only block
        # the queue. Database errors are not caught: they pass and the chunk is retried.
        raise _ReplanFailed(protocol_id, f"{type(exc).__name__}: {exc}") from exc
    return len(unit_ids)


@transactional
def _mark_replan_failed(protocol_id: int, reason: str) -> None:
    """Mark a queue entry failed with its reason, so the scheduler skips it from now on."""
    queued = db.session.get(ReplanQueue, protocol_id)
    if queued is None:
        return
    queued.failed_at = max(utcnow(), queued.queued_at)
    queued.failure = reason[:REPLAN_FAILURE_CHARS]
    # The protocol id and the error only: no unit, serial or owner reaches the log.
    logger.warning(
        "re-plan of protocol %s failed and is skipped until it is published again: %s",
        protocol_id,
        queued.failure,
    )
