"""Where people look: the open notices of a unit or model, for pages, feeds and the resolver."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Notice, NoticeGtin, NoticeUnit, Ownership, Unit
from maintenance.services.notices.selection import Selection


def open_notice_ids_for_gtin(gtin: str) -> list[int]:
    """Ids of the sent, not closed notices that cover a GTIN, newest first (one indexed query)."""
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


def unit_acted(notice_id: int, unit_id: int) -> bool:
    """Whether an owner of the unit confirmed acting on the notice."""
    acted = db.session.scalar(
        select(NoticeUnit.acted_at).where(
            NoticeUnit.notice_id == notice_id, NoticeUnit.unit_id == unit_id
        )
    )
    return acted is not None
