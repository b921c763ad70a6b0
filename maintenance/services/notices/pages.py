"""Where people look: the open notices of a unit or model, for pages, feeds and the resolver."""

# Scans are the busiest requests and most GTINs never have a notice: each process keeps the set
# of GTINs with an open notice for GTIN_CACHE_SECONDS, so a scan of any other GTIN costs no query.
# Sending or closing a notice clears this process's set at once; other processes see the change
# within GTIN_CACHE_SECONDS.

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Event
from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Notice, NoticeGtin, NoticeUnit, Ownership, Unit
from maintenance.services.notices.render import heading
from maintenance.services.notices.selection import Selection

GTIN_CACHE_SECONDS = 30.0


@dataclass
class _OpenGtins:
    """This process's copy of the GTINs with an open notice, and until when it holds."""

    gtins: frozenset[str] = frozenset()
    until: float = 0.0


_open = _OpenGtins()


def forget_open_gtins() -> None:
    """Read the GTINs with open notices again on the next scan (a notice was sent or closed)."""
    _open.until = 0.0


def _gtins_with_open_notices() -> frozenset[str]:
    if time.monotonic() >= _open.until:
        _open.gtins = frozenset(
            db.session.scalars(
                select(NoticeGtin.gtin)
                .join(Notice, Notice.id == NoticeGtin.notice_id)
                .where(Notice.status == "sent")
            )
        )
        _open.until = time.monotonic() + GTIN_CACHE_SECONDS
    return _open.gtins


def open_notice_ids_for_gtin(gtin: str) -> list[int]:
    """Ids of the sent, not closed notices that cover a GTIN, newest first (one indexed query)."""
    if gtin not in _gtins_with_open_notices():
        return []
    return list(
        db.session.scalars(
            select(Notice.id)
            .join(NoticeGtin, NoticeGtin.notice_id == Notice.id)
            .where(NoticeGtin.gtin == gtin, Notice.status == "sent")
            .order_by(Notice.id.desc())
        )
    )


def open_notices_for_unit(gtin: str, serial: str | None, sold_on: date | None) -> list[Notice]:
    """The open notices that affect a unit with these values (recalls first)."""
    ids = open_notice_ids_for_gtin(gtin)
    if not ids:
        return []
    notices = [db.session.get_one(Notice, notice_id) for notice_id in ids]
    found = [n for n in notices if Selection.of(n).matches(gtin, serial, sold_on)]
    return sorted(found, key=lambda n: (n.kind != "recall", -n.id))


def open_notices_for_gtins(gtins: Iterable[str]) -> list[Notice]:
    """The open notices that cover any of these GTINs, whichever serials (for a model's page)."""
    ids = sorted({i for gtin in gtins for i in open_notice_ids_for_gtin(gtin)}, reverse=True)
    notices = [db.session.get_one(Notice, notice_id) for notice_id in ids]
    return sorted(notices, key=lambda n: (n.kind != "recall", -n.id))


def open_notices_for_owned(owner_id: int) -> dict[int, list[Notice]]:
    """The open notices affecting each unit an owner has, by unit id (for "my appliances")."""
    rows = db.session.execute(
        select(Unit.id, Unit.gtin, Unit.serial, Unit.sold_on)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.owner_id == owner_id, Ownership.ended_at.is_(None))
    )
    found: dict[int, list[Notice]] = {}
    for unit_id, gtin, serial, sold_on in rows:
        notices = open_notices_for_unit(gtin, serial, sold_on)
        if notices:
            found[unit_id] = notices
    return found


def notice_events(
    unit: Unit, today: date, host: str, language: str, stamp: datetime
) -> list[Event]:
    """An all-day event today per open notice of the unit that nobody confirmed acting on.

    Today, not the day it was sent: the event stays in sight until someone acts (its UID is
    fixed, so a calendar moves the one event instead of adding another).
    """
    events = []
    for notice in open_notices_for_unit(unit.gtin, unit.serial, unit.sold_on):
        if unit_acted(notice.id, unit.id):
            continue
        texts = notice.current.texts
        text: dict[str, str] = texts.get(language) or next(iter(texts.values()), {})
        event = Event()
        event.add("uid", f"notice-{notice.id}-unit-{unit.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", today)
        event.add("dtend", today + timedelta(days=1))
        title = heading(notice.kind, language)
        event.add("summary", f"{title}: {unit.product_model.brand} {unit.product_model.name}")
        event.add("description", text.get("hazard") or text.get("instruction", ""))
        event.add("url", f"{current_app.config['BASE_URL']}/recalls/{notice.id}")
        events.append(event)
    return events


def unit_acted(notice_id: int, unit_id: int) -> bool:
    """Whether an owner of the unit confirmed acting on the notice."""
    acted = db.session.scalar(
        select(NoticeUnit.acted_at).where(
            NoticeUnit.notice_id == notice_id, NoticeUnit.unit_id == unit_id
        )
    )
    return acted is not None
