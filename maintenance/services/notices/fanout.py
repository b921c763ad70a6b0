"""Queue a notice's messages in the reminder outbox: every confirmed owner of an affected unit."""

# A sent notice is worked off in chunks of units in id order; each chunk commits with the
# notice's cursor (Notice.queued_after_unit_id), so a crash resumes at the next chunk and a
# second scheduler skips the notice while the first holds its row lock. Per owner there is one
# delivery however many affected units they own, and per delivery at most one message per
# version (the outbox's dedupe key): a new version is an update to the same owners, never a
# duplicate. Safety notices go to owners who paused their maintenance reminders too, and are not
# held by the send hour or the weekly cap (GPSR Art. 35(3)); never to an address that bounced or
# a number that sent STOP.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import select, update

from maintenance.db.bulk import id_in, insert_new_rows, insert_rows
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    Notice,
    NoticeDelivery,
    NoticeMessage,
    NoticeUnit,
    Owner,
    Ownership,
    Reminder,
)
from maintenance.models.notice import NOTICE_PRIORITY
from maintenance.services.notices.selection import Selection, affected_unit_ids

# Units per committed chunk: short row locks, bounded memory.
UNITS_PER_CHUNK = 1000


@dataclass
class FanOutResult:
    """What one fan-out pass queued."""

    units: int = 0
    deliveries: int = 0
    messages: int = 0
    unreachable: int = 0
    notices_done: int = 0


def notice_channel(owner: Any) -> str | None:
    """The channel a notice reaches the owner on: their own, else the other one; None if neither.

    A pause of maintenance reminders does not count here; a bounce or STOP does.
    """
    other = "sms" if owner.channel == "email" else "email"
    for channel in (owner.channel, other):
        if channel == "email" and owner.email and owner.email_verified_at:
            reachable = owner.email_suppressed_at is None
        elif channel == "sms" and owner.phone and owner.phone_verified_at:
            reachable = owner.phone_suppressed_at is None
        else:
            reachable = False
        if reachable:
            return channel
    return None


def why_unreachable(owner: Any) -> str:
    """Why no notice can reach an owner: a bounce or STOP named as such, so figures tell."""
    if owner.email_suppressed_at is not None or owner.phone_suppressed_at is not None:
        return "bounced or opted out"
    return "no confirmed address"


_OWNER_COLUMNS = (
    Owner.id,
    Owner.channel,
    Owner.email,
    Owner.email_verified_at,
    Owner.email_suppressed_at,
    Owner.phone,
    Owner.phone_verified_at,
    Owner.phone_suppressed_at,
)


def owners_of_units(unit_ids: list[int]) -> dict[int, list[Any]]:
    """The active owners of each unit, as plain rows (id, channel and address columns)."""
    rows = db.session.execute(
        select(Ownership.unit_id, *_OWNER_COLUMNS)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(id_in(Ownership.unit_id, unit_ids), Ownership.ended_at.is_(None))
    )
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    return found


def _lock(notice_id: int, *, wait: bool) -> Notice | None:
    """The notice row, locked for this transaction (None when another holds it and not waiting)."""
    query = select(Notice).where(Notice.id == notice_id).with_for_update(skip_locked=not wait)
    return db.session.scalar(query)


def _add_units(notice: Notice, unit_ids: list[int], now: datetime) -> None:
    """Record the affected units not recorded yet."""
    known = set(
        db.session.scalars(
            select(NoticeUnit.unit_id).where(
                NoticeUnit.notice_id == notice.id, id_in(NoticeUnit.unit_id, unit_ids)
            )
        )
    )
    insert_rows(
        NoticeUnit.__table__,
        [
            {"notice_id": notice.id, "unit_id": unit_id, "added_at": now}
            for unit_id in unit_ids
            if unit_id not in known
        ],
    )


def _deliveries(notice_id: int, owner_ids: list[int]) -> dict[int, Any]:
    """The notice's deliveries to these owners, with whether the current version is queued."""
    table = NoticeDelivery.__table__
    return {
        row.owner_id: row
        for row in db.session.execute(
            select(table.c.id, table.c.owner_id, table.c.stopped_at, table.c.failed_at).where(
                table.c.notice_id == notice_id, id_in(table.c.owner_id, owner_ids)
            )
        )
    }


def _queue_owners(notice: Notice, owners: Iterable[Any], now: datetime) -> FanOutResult:
    """Make sure each owner has a delivery and a message of the current version."""
    result = FanOutResult()
    by_id = {owner.id: owner for owner in owners}
    if not by_id:
        return result
    version = notice.current
    existing = _deliveries(notice.id, list(by_id))
    new_rows = []
    for owner_id, owner in by_id.items():
        if owner_id in existing:
            continue
        channel = notice_channel(owner)
        new_rows.append(
            {
                "notice_id": notice.id,
                "owner_id": owner_id,
                "channel": channel or owner.channel,
                "created_at": now,
                "failed_at": None if channel else now,
                "failure": None if channel else why_unreachable(owner),
            }
        )
    insert_rows(NoticeDelivery.__table__, new_rows)
    result.deliveries = len(new_rows)
    result.unreachable = sum(1 for row in new_rows if row["failed_at"] is not None)
    if new_rows:
        existing = _deliveries(notice.id, list(by_id))
    wanted = []
    for owner_id, delivery in existing.items():
        channel = notice_channel(by_id[owner_id])
        if channel is None or delivery.stopped_at is not None or delivery.failed_at is not None:
            continue
        wanted.append((delivery.id, owner_id, channel))
    result.messages = _queue_messages(notice, version.id, version.number, wanted, now)
    return result


def _queue_messages(
    notice: Notice, version_id: int, number: int, wanted: list[tuple[int, int, str]], now: datetime
) -> int:
    """One outbox row per delivery for this version (a second pass adds none); how many new."""
    if not wanted:
        return 0
    rows = [
        {
            "dedupe_key": f"notice:{delivery_id}:v{number}",
            "owner_id": owner_id,
            "channel": channel,
            "kind": "notice",
            "priority": NOTICE_PRIORITY,
            "send_on": now.date(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for delivery_id, owner_id, channel in wanted
    ]
    added = insert_new_rows(Reminder.__table__, rows, "dedupe_key", ("id", "dedupe_key"))
    if not added:
        return 0
    delivery_of = {f"notice:{d}:v{number}": d for d, _owner, _channel in wanted}
    insert_rows(
        NoticeMessage.__table__,
        [
            {"reminder_id": rid, "delivery_id": delivery_of[key], "version_id": version_id}
            for rid, key in added
        ],
    )
    # An older version still waiting for its turn is replaced by this one, not sent as well.
    older = (
        select(NoticeMessage.reminder_id)
        .where(
            NoticeMessage.delivery_id.in_([delivery_of[key] for _rid, key in added]),
            NoticeMessage.version_id != version_id,
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(Reminder)
        .where(Reminder.id.in_(older), Reminder.status == "pending")
        .values(status="cancelled", last_error=f"replaced by version {number}")
        .execution_options(synchronize_session=False)
    )
    return len(added)


def queue_units(notice: Notice, unit_ids: list[int], now: datetime) -> FanOutResult:
    """Record these affected units and queue the current version to their owners."""
    _add_units(notice, unit_ids, now)
    owners = {o.id: o for rows in owners_of_units(unit_ids).values() for o in rows}
    result = _queue_owners(notice, owners.values(), now)
    result.units = len(unit_ids)
    return result


@transactional
def fan_out_chunk(
    notice_id: int, now: datetime, limit: int = UNITS_PER_CHUNK
) -> FanOutResult | None:
    """Queue the next chunk of a sent notice; None when another process holds it or it is done."""
    notice = _lock(notice_id, wait=False)
    if notice is None or notice.status != "sent" or notice.queued_at is not None:
        return None
    chunk = list(
        islice(affected_unit_ids(Selection.of(notice), notice.queued_after_unit_id), limit)
    )
    result = queue_units(notice, chunk, now) if chunk else FanOutResult()
    if len(chunk) < limit:
        notice.queued_at = now
        result.notices_done = 1
    if chunk:
        notice.queued_after_unit_id = chunk[-1]
    return result


def fan_out(
    now: datetime, max_units: int | None = None, notice_id: int | None = None
) -> FanOutResult:
    """Work off sent notices whose messages are not all queued yet (all, or one), chunk by chunk."""
    total = FanOutResult()
    query = select(Notice.id).where(Notice.status == "sent", Notice.queued_at.is_(None))
    if notice_id is not None:
        query = query.where(Notice.id == notice_id)
    for pending_id in list(db.session.scalars(query.order_by(Notice.id))):
        while max_units is None or total.units < max_units:
            limit = (
                UNITS_PER_CHUNK
                if max_units is None
                else min(UNITS_PER_CHUNK, max_units - total.units)
            )
            result = fan_out_chunk(pending_id, now, limit)
            if result is None:
                break
            for name in ("units", "deliveries", "messages", "unreachable", "notices_done"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            if result.notices_done:
                break
    return total


@transactional
def queue_for_new_owner(
    unit_id: int, gtin: str, serial: str | None, sold_on: Any, now: datetime
) -> int:
    """At registration: open notices that affect the unit reach its new owner now; how many."""
    from maintenance.services.notices.pages import open_notice_ids_for_gtin

    queued = 0
    for notice_id in open_notice_ids_for_gtin(gtin):
        notice = _lock(notice_id, wait=True)
        if notice is None or not Selection.of(notice).matches(gtin, serial, sold_on):
            continue
        queued += queue_units(notice, [unit_id], now).messages
    return queued
