"""A retailer's figures, for units it sold only: labels, scans, sign-ups and sign-up rate."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from maintenance.extensions import db
from maintenance.models import Event, ScanEvent, Unit
from maintenance.services.figures.cells import Chart, Count, Rate, Table
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.queries import (
    Measure,
    Scope,
    grouped,
    kind_is,
    model_names,
    month_of,
    months_between,
    scans,
)


def _labelled(scope: Scope, groups: list[Any]) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """Per group: units labelled in the period, labels printed for them, units now registered."""
    start = datetime.combine(scope.start, time.min, tzinfo=UTC)
    end = datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=UTC)
    # Units of this retailer that ever had a confirmed owner (one row per unit).
    registered = (
        select(Event.unit_id.label("unit_id"))
        .where(Event.retailer_id == scope.retailer_id, Event.kind == "confirmed")
        .group_by(Event.unit_id)
        .subquery()
    )
    query = (
        select(
            *groups,
            func.count(Unit.id),
            func.coalesce(func.sum(Unit.labels_printed), 0),
            func.count(registered.c.unit_id),
        )
        .outerjoin(registered, registered.c.unit_id == Unit.id)
        .where(Unit.retailer_id == scope.retailer_id, Unit.created_at >= start)
        .where(Unit.created_at < end)
    )
    if scope.model_ids:
        query = query.where(Unit.product_model_id.in_(scope.model_ids))
    if groups:
        query = query.group_by(*groups)
    width = len(groups)
    return {
        tuple(row[:width]): (int(row[width]), int(row[width + 1]), int(row[width + 2]))
        for row in db.session.execute(query)
    }


def per_month(scope: Scope) -> Table:
    """Units labelled, scans, sign-ups and confirmed owners per month."""
    labelled = _labelled(scope, [month_of(Unit.created_at)])
    scanned = scans(scope, [month_of(ScanEvent.day)])
    people = grouped(
        Event,
        and_(scope.event_filter(), kind_is("signup", "confirmed")),
        [month_of(Event.day)],
        [Measure("signup", kind_is("signup")), Measure("confirmed", kind_is("confirmed"))],
    )
    table = Table(
        "per-month",
        _("Per month"),
        [
            _("Month"),
            _("Units labelled"),
            _("Labels printed"),
            _("Scans"),
            _("Sign-ups"),
            _("Confirmed owners"),
        ],
        chart=Chart("line", [1, 3, 5], _("Number of units, scans or owners")),
    )
    for month in months_between(scope.start, scope.end):
        units, printed, _registered = labelled.get((month,), (0, 0, 0))
        table.rows.append(
            [
                month,
                Count(units, personal=False),
                Count(printed, personal=False),
                scanned.get((month,), "scans"),
                people.get((month,), "signup"),
                people.get((month,), "confirmed"),
            ]
        )
    return table


def per_model(scope: Scope) -> Table:
    """Per model sold: units labelled in the period and the share that got an owner."""
    labelled = _labelled(scope, [Unit.product_model_id])
    scanned = scans(scope, [ScanEvent.product_model_id])
    names = model_names([*(key[0] for key in labelled), *(key[0] for key in scanned.groups())])
    table = Table(
        "per-model",
        _("Sign-up rate per model"),
        [
            _("Model"),
            _("Units labelled"),
            _("Labels printed"),
            _("Scans"),
            _("Units with an owner"),
            _("Sign-up rate"),
        ],
        chart=Chart("bars", [5], _("Sign-up rate (%)"), unit="%"),
        note=_(
            "Sign-up rate: of the units labelled in the period, the share that has a "
            "confirmed owner now or had one before. Stores and tills are not recorded, so "
            "the rate is per model."
        ),
    )
    for model_id in sorted(names, key=lambda i: names[i]):
        units, printed, registered = labelled.get((model_id,), (0, 0, 0))
        # Registered units are households: hidden when fewer than five.
        owners = Count(registered, registered)
        table.rows.append(
            [
                names[model_id],
                Count(units, personal=False),
                Count(printed, personal=False),
                scanned.get((model_id,), "scans"),
                owners,
                Rate(owners, Count(units, units)),
            ]
        )
    return table


def retailer_dashboard(scope: Scope) -> Dashboard:
    """Every table of the retailer dashboard."""
    return Dashboard(_("Figures for the units you sold"), [per_month(scope), per_model(scope)])
