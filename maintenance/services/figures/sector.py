"""The sector's figures for the coordinator: categories, units under maintenance, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, not_, select
from sqlalchemy.sql.elements import ColumnElement

from maintenance.extensions import db
from maintenance.models import Event, Ownership, ProductModel, ScanEvent, Unit
from maintenance.services.figures.cells import Chart, Count, Rate, Table, Value
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.manufacturer import reminders_by_month
from maintenance.services.figures.partners import partner_tables
from maintenance.services.figures.queries import (
    Grouped,
    Measure,
    Scope,
    category_name,
    grouped,
    kind_is,
    month_of,
    months_between,
    on_time,
    scans,
)

CHANNELS = ("email", "sms")
# Every month's row of the export, in column order: (measure name, heading).
EXPORT_MEASURES = (
    ("signup", "sign_ups"),
    ("confirmed", "confirmed_owners"),
    ("reminder_sent", "tasks_reminded"),
    ("reminder_delivered", "reminders_delivered"),
    ("reminder_failed", "reminders_failed"),
    ("on_time", "done_on_time"),
    ("late", "done_late"),
    ("after_reminder", "done_after_reminder"),
    ("task_skipped", "skipped"),
    ("task_snoozed", "snoozed"),
    ("unsubscribed", "unsubscribed"),
    ("ownership_ended", "ownerships_ended"),
)


def _event_measures() -> list[Measure]:
    done = kind_is("task_done")
    simple = [name for name, _heading in EXPORT_MEASURES if name.startswith(("reminder", "task"))]
    return [
        Measure("signup", kind_is("signup")),
        Measure("confirmed", kind_is("confirmed")),
        *(Measure(name, kind_is(name)) for name in simple),
        Measure("on_time", and_(done, on_time())),
        Measure("late", and_(done, not_(on_time()))),
        Measure("after_reminder", and_(done, Event.from_reminder.is_(True))),
        Measure("done", done),
        Measure("unsubscribed", kind_is("unsubscribed")),
        Measure("ownership_ended", kind_is("ownership_ended")),
    ]


def _per_category_units(scope: Scope) -> dict[str, tuple[int, int]]:
    """Per category: units registered up to the period's end, and models."""
    end = datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=UTC)
    rows = db.session.execute(
        select(
            ProductModel.category, func.count(Unit.id), func.count(func.distinct(ProductModel.id))
        )
        .join(Unit, Unit.product_model_id == ProductModel.id)
        .where(Unit.created_at < end, Unit.voided_at.is_(None))
        .group_by(ProductModel.category)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def under_maintenance() -> dict[str, Count]:
    """Per category: units that have at least one owner getting reminders now."""
    rows = db.session.execute(
        select(ProductModel.category, func.count(func.distinct(Ownership.unit_id)))
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(ProductModel, ProductModel.id == Unit.product_model_id)
        .where(Ownership.ended_at.is_(None))
        .group_by(ProductModel.category)
    )
    return {row[0]: Count(int(row[1]), int(row[1])) for row in rows}


def per_category(scope: Scope, all_events: Grouped, all_scans: Grouped) -> Table:
    """Totals per category."""
    units = _per_category_units(scope)
    active = under_maintenance()
    scanned = all_scans.rollup(lambda key: (key[1],))
    events = all_events.rollup(lambda key: (key[1],))
    ids = {*units, *active, *(k[0] for k in events.groups() if k[0])}
    # Named in the page's language and listed in that name's order.
    categories = sorted((category_name(category), category) for category in ids)
    table = Table(
        "categories",
        _("Per category"),
        [
            _("Category"),
            _("Models"),
            _("Units labelled"),
            _("Scans"),
            _("Sign-ups"),
            _("Confirmed owners"),
            _("Units under maintenance now"),
            _("Tasks done"),
            _("Done after a reminder"),
        ],
        chart=Chart("bars", [6], _("Number of units under maintenance now")),
        note=_("Units under maintenance: units with at least one owner now."),
    )
    for name, category in categories:
        key = (category,)
        unit_count, model_count = units.get(category, (0, 0))
        table.rows.append(
            [
                name,
                Count(model_count, personal=False),
                Count(unit_count, personal=False),
                scanned.get(key, "scans"),
                events.get(key, "signup"),
                events.get(key, "confirmed"),
                active.get(category, Count(0)),
                events.get(key, "done"),
                Rate(events.get(key, "after_reminder"), events.get(key, "reminder_sent")),
            ]
        )
    return table


def reminders_by_channel(scope: Scope, all_events: Grouped) -> Table:
    """Reminded tasks sent, delivered and failed per channel, per month."""
    data = all_events.rollup(lambda key: (key[0], key[2]))
    columns = [_("Month")]
    for channel in CHANNELS:
        label = _("Email") if channel == "email" else _("SMS")
        columns += [
            _("%(channel)s sent", channel=label),
            _("%(channel)s delivered", channel=label),
            _("%(channel)s failed", channel=label),
        ]
    table = Table(
        "reminders-by-channel",
        _("Reminders by channel"),
        columns,
        chart=Chart("line", [2, 5], _("Reminded tasks delivered")),
        note=_("Counted per task in a message: a digest with three tasks counts three."),
    )
    for name in months_between(scope.start, scope.end):
        row: list[Value] = [name]
        for channel in CHANNELS:
            key = (name, channel)
            row += [
                data.get(key, "reminder_sent"),
                data.get(key, "reminder_delivered"),
                data.get(key, "reminder_failed"),
            ]
        table.rows.append(row)
    return table


def monthly_export(scope: Scope, all_events: Grouped, scanned: Grouped) -> Table:
    """One row per month and category with every measure: the sector's monitoring export."""
    events = all_events.rollup(lambda key: key[:2])
    categories = sorted({k[1] for k in events.groups() if k[1]} | {k[1] for k in scanned.groups()})
    table = Table(
        "monthly-export",
        _("Monthly export"),
        ["month", "category", "scans", *(heading for _name, heading in EXPORT_MEASURES)],
    )
    for name in months_between(scope.start, scope.end):
        for category in categories:
            key = (name, category)
            table.rows.append(
                [
                    name,
                    category,
                    scanned.get(key, "scans"),
                    *(events.get(key, measure) for measure, _heading in EXPORT_MEASURES),
                ]
            )
    return table


def _in_period(scope: Scope) -> ColumnElement[bool]:
    """The sector's events of the period: by stored month, and by day only in a month cut short.

    The dashboards ask for whole months, so usually no day is compared on any row.
    """
    clauses = [Event.month >= scope.start.replace(day=1), Event.month <= scope.end.replace(day=1)]
    if scope.start.day != 1:
        clauses.append(Event.day >= scope.start)
    if (scope.end + timedelta(days=1)).day != 1:
        clauses.append(Event.day <= scope.end)
    return and_(*clauses)


def sector_dashboard(scope: Scope) -> Dashboard:
    """Every table of the sector dashboard, from one pass over events and one over scans."""
    # Grouped by the stored month, read in the order of ix_event_sector_figures.
    by_month_start = grouped(
        Event,
        _in_period(scope),
        [Event.month, Event.category, Event.channel],
        _event_measures(),
    )
    # One month date to one 'YYYY-MM': the same groups under another name, so exact.
    all_events = by_month_start.rollup(lambda key: (key[0].strftime("%Y-%m"), *key[1:]))
    all_scans = scans(scope, [month_of(ScanEvent.day), ProductModel.category], by_category=True)
    by_month = all_events.rollup(lambda key: (key[0],))
    return Dashboard(
        _("Figures for the sector"),
        [
            per_category(scope, all_events, all_scans),
            reminders_by_channel(scope, all_events),
            reminders_by_month(by_month, months_between(scope.start, scope.end)),
            *partner_tables(scope.start, scope.end),
            monthly_export(scope, all_events, all_scans),
        ],
    )
