"""Figures per notice, for the manufacturer and a market surveillance authority."""

# Units affected, owners reached, opened, confirmed acted, unreachable (no owner, bounced); per day
# as a chart and CSV with the same small-count rule as the other dashboards ("<5"); and a CSV of
# the affected serials with their status, which names units, never people.

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select

from maintenance.extensions import db
from maintenance.models import (
    Notice,
    NoticeDelivery,
    NoticeMessage,
    NoticeUnit,
    Ownership,
    Reminder,
    Unit,
)
from maintenance.services.figures.cells import Chart, Count, Table

# Days shown in the per-day table: a recall's messages go out in its first days.
MAX_DAYS = 92


@dataclass(frozen=True)
class NoticeFigures:
    """The plain numbers of one notice (the API gives these; pages show them through cells)."""

    units: int
    units_acted: int
    units_without_owner: int
    owners: int
    reached: int
    waiting: int
    opened: int
    acted: int
    bounced: int
    stopped: int

    def as_json(self) -> dict[str, int]:
        """The API's shape: every number, small or not (the API is the manufacturer's own)."""
        return dict(vars(self))


def _owned() -> object:
    return exists().where(Ownership.unit_id == NoticeUnit.unit_id, Ownership.ended_at.is_(None))


def notice_figures(notice: Notice) -> NoticeFigures:
    """The numbers of a notice, read in two queries."""
    units = db.session.execute(
        select(
            func.count(),
            func.count(NoticeUnit.acted_at),
            func.count().filter(~_owned()),  # type: ignore[operator]
        ).where(NoticeUnit.notice_id == notice.id)
    ).one()
    d = NoticeDelivery
    reached = and_(d.sent_at.is_not(None), d.failed_at.is_(None))
    unsent = and_(d.sent_at.is_(None), d.failed_at.is_(None), d.stopped_at.is_(None))
    in_outbox = exists().where(
        NoticeMessage.delivery_id == d.id,
        Reminder.id == NoticeMessage.reminder_id,
        Reminder.status.in_(("pending", "sending")),
    )
    # Not sent and nothing left in the outbox: its address bounced or the number sent STOP
    # after it was queued (those rows were cancelled), or the notice closed first.
    owners = db.session.execute(
        select(
            func.count(),
            func.count().filter(reached),
            func.count().filter(and_(unsent, in_outbox)),
            func.count(d.opened_at),
            func.count(d.acted_at),
            func.count().filter(or_(d.failed_at.is_not(None), and_(unsent, ~in_outbox))),
            func.count(d.stopped_at),
        ).where(d.notice_id == notice.id)
    ).one()
    return NoticeFigures(*units, *owners)


def _people(value: int) -> Count:
    """A count of distinct owners or units: hidden below the dashboards' minimum."""
    return Count(value, value)


def summary_table(figures: NoticeFigures) -> Table:
    """The notice's figures as one table of cells."""
    rows: list[tuple[str, int]] = [
        (_("Units affected"), figures.units),
        (_("Units confirmed acted on"), figures.units_acted),
        (_("Unreachable: no registered owner"), figures.units_without_owner),
        (_("Owners to reach"), figures.owners),
        (_("Owners reached (delivered)"), figures.reached),
        (_("Owners still being sent to"), figures.waiting),
        (_("Owners who opened it"), figures.opened),
        (_("Owners who confirmed acting"), figures.acted),
        (_("Unreachable: bounced or opted out"), figures.bounced),
        (_("Owners who stopped its messages"), figures.stopped),
    ]
    return Table(
        "summary",
        _("This notice"),
        [_("Figure"), _("Count")],
        [[label, _people(value)] for label, value in rows],
        chart=Chart("bars", [1], _("Number of units or owners")),
    )


def _days(values: list[datetime | None]) -> dict[date, int]:
    counts: dict[date, int] = defaultdict(int)
    for value in values:
        if value is not None:
            counts[value.date()] += 1
    return counts


def daily_table(notice: Notice, today: date) -> Table:
    """Owners reached, opened and acted per day since the notice was sent."""
    table = Table(
        "per-day",
        _("Per day"),
        [_("Day"), _("Reached"), _("Opened"), _("Confirmed acting")],
        chart=Chart("line", [1, 2, 3], _("Number of owners")),
        note=_("Counts under 5 are shown as <5, as in every dashboard."),
    )
    if notice.sent_at is None:
        return table
    d = NoticeDelivery
    rows = db.session.execute(
        select(d.sent_at, d.failed_at, d.opened_at, d.acted_at).where(d.notice_id == notice.id)
    ).all()
    reached = _days([sent if failed is None else None for sent, failed, _o, _a in rows])
    opened = _days([row[2] for row in rows])
    acted = _days([row[3] for row in rows])
    first = notice.sent_at.date()
    last = max([today, *reached, *opened, *acted])
    day = max(first, last.fromordinal(last.toordinal() - MAX_DAYS + 1))
    while day <= last:
        table.rows.append(
            [
                day.isoformat(),
                _people(reached.get(day, 0)),
                _people(opened.get(day, 0)),
                _people(acted.get(day, 0)),
            ]
        )
        day = day.fromordinal(day.toordinal() + 1)
    return table


def serials_csv(notice: Notice) -> str:
    """Every affected unit with its status: GTIN, serial or code, sale date, status; no person."""
    owned = _owned().correlate(NoticeUnit)  # type: ignore[attr-defined]
    rows = db.session.execute(
        select(
            Unit.gtin,
            Unit.serial,
            Unit.unit_code,
            Unit.sold_on,
            NoticeUnit.acted_at,
            NoticeUnit.acted_how,
            owned,
        )
        .join(NoticeUnit, NoticeUnit.unit_id == Unit.id)
        .where(NoticeUnit.notice_id == notice.id)
        .order_by(Unit.gtin, Unit.serial, Unit.id)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["gtin", "serial", "unit_code", "sold_on", "status", "acted_on"])
    for gtin, serial, code, sold_on, acted_at, acted_how, has_owner in rows:
        if acted_at is not None:
            status = "acted:" + (acted_how or "remedy")
        else:
            status = "owner registered" if has_owner else "no owner"
        writer.writerow(
            [
                gtin,
                _safe(serial or ""),
                code or "",
                sold_on.isoformat() if sold_on else "",
                status,
                acted_at.date().isoformat() if acted_at else "",
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a serial such as "=1+1" as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
