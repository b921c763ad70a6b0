"""Figures about service partners: requests and their answers, tasks done, repair outcomes.

Requests count in the period they arrived, in the state they are in now; tasks done count by
their visit date; repair outcomes by the day the owner told them. Households are units, as on
every dashboard, and each cell goes through the same "<5" rule (figures/cells.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from statistics import median
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import and_, select, true
from sqlalchemy.sql.elements import ColumnElement

from maintenance.extensions import db
from maintenance.models import (
    MaintenanceLog,
    Organisation,
    ProductModel,
    RepairOutcome,
    ServiceRequest,
    Task,
    Unit,
)
from maintenance.models.partner import OPEN_STATES
from maintenance.services.figures.cells import Chart, Count, Median, Rate, Table, Value
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.queries import (
    Grouped,
    Measure,
    category_name,
    grouped,
    month_of,
    months_between,
)

Key = tuple[Any, ...]
OUTCOME_COLUMNS = ("fixed-myself", "repaired-by-partner", "not-repairable")


@dataclass(frozen=True)
class RequestFigures:
    """One partner's (or all partners') requests of a period and the tasks it logged done."""

    received: Count
    accepted: Count  # ever accepted, also when later done or declined
    declined: Count
    done: Count
    withdrawn: Count
    still_open: Count  # open or accepted, not yet done, declined or withdrawn
    hours_to_accept: Median  # from arrival to acceptance, over the accepted requests
    completion: Rate  # done, of the requests no longer open
    tasks_done: Count  # maintenance log entries "done" by the partner, by visit date

    def cells(self) -> list[Value]:
        """The figures in the column order of request_columns()."""
        return [
            self.received,
            self.accepted,
            self.declined,
            self.done,
            self.withdrawn,
            self.still_open,
            self.hours_to_accept,
            self.completion,
            self.tasks_done,
        ]


def request_columns() -> list[str]:
    """The headings of RequestFigures.cells(), in the page's language."""
    return [
        _("Requests received"),
        _("Accepted"),
        _("Declined"),
        _("Done"),
        _("Withdrawn"),
        _("Still open"),
        _("Median hours to accept"),
        _("Completed (of those closed)"),
        _("Tasks logged done"),
    ]


def _request_where(since: date, until: date, partner_id: int | None) -> ColumnElement[bool]:
    """Requests that arrived from `since` up to and including `until` (the service zone's days)."""
    clauses = [ServiceRequest.created_on >= since, ServiceRequest.created_on <= until]
    if partner_id is not None:
        clauses.append(ServiceRequest.partner_id == partner_id)
    return and_(*clauses)


def _request_measures() -> list[Measure]:
    status = ServiceRequest.status
    return [
        Measure("received", true()),
        Measure("accepted", ServiceRequest.accepted_at.is_not(None)),
        Measure("declined", status == "declined"),
        Measure("done", status == "done"),
        Measure("withdrawn", status == "withdrawn"),
        Measure("open", status.in_(OPEN_STATES)),
        Measure("closed", status.not_in(OPEN_STATES)),
    ]


def _done_logs(since: date, until: date, partner_id: int | None, groups: Sequence[Any]) -> Grouped:
    """Tasks logged done by partners (or one partner) with a visit date in the period."""
    where = and_(
        MaintenanceLog.action == "done",
        MaintenanceLog.partner_id.is_not(None),
        MaintenanceLog.done_on >= since,
        MaintenanceLog.done_on <= until,
        true() if partner_id is None else MaintenanceLog.partner_id == partner_id,
    )
    return grouped(MaintenanceLog, where, groups, [Measure("tasks", true())])


def _hours_to_accept(
    since: date, until: date, partner_id: int | None, groups: Sequence[Any]
) -> dict[Key, list[float]]:
    """Hours from arrival to acceptance of each accepted request, per group."""
    rows = db.session.execute(
        select(*groups, ServiceRequest.created_at, ServiceRequest.accepted_at).where(
            _request_where(since, until, partner_id), ServiceRequest.accepted_at.is_not(None)
        )
    )
    width = len(groups)
    hours: dict[Key, list[float]] = defaultdict(list)
    for row in rows:
        created, accepted = row[width], row[width + 1]
        hours[tuple(row[:width])].append((accepted - created).total_seconds() / 3600)
    return hours


def request_figures(
    since: date,
    until: date,
    *,
    partner_id: int | None = None,
    by: Literal["partner", "month"] | None = None,
    own: bool = False,
) -> dict[Key, RequestFigures]:
    """Request figures of one partner (all partners when None) in the period.

    `by` groups them: None gives one entry under the key (); "partner" one per partner id;
    "month" one per 'YYYY-MM' (requests by the month they arrived, tasks by visit month).
    `own`: for the partner itself, whose inbox lists each of these requests anyway, so its
    counts are its own work and are never hidden as small.
    """
    if by == "partner":
        request_groups: list[Any] = [ServiceRequest.partner_id]
        log_groups: list[Any] = [MaintenanceLog.partner_id]
    elif by == "month":
        request_groups = [month_of(ServiceRequest.created_on)]
        log_groups = [month_of(MaintenanceLog.done_on)]
    else:
        request_groups, log_groups = [], []
    requests = grouped(
        ServiceRequest,
        _request_where(since, until, partner_id),
        request_groups,
        _request_measures(),
    )
    tasks = _done_logs(since, until, partner_id, log_groups)
    hours = _hours_to_accept(since, until, partner_id, request_groups)
    keys = [*requests.groups(), *(key for key in tasks.groups() if key not in requests.counts)]
    if not keys and by is None:
        keys = [()]
    figures = {}
    for key in keys:

        def count(counts: Grouped, name: str, key: Key = key) -> Count:
            return _own(counts.get(key, name)) if own else counts.get(key, name)

        accepted = count(requests, "accepted")
        middle = median(hours[key]) if hours.get(key) else None
        figures[key] = RequestFigures(
            received=count(requests, "received"),
            accepted=accepted,
            declined=count(requests, "declined"),
            done=count(requests, "done"),
            withdrawn=count(requests, "withdrawn"),
            still_open=count(requests, "open"),
            hours_to_accept=Median(middle, accepted),
            completion=Rate(count(requests, "done"), count(requests, "closed")),
            tasks_done=count(tasks, "tasks"),
        )
    return figures


def _own(count: Count) -> Count:
    """A count of the reader's own work: shown whatever its size."""
    return replace(count, personal=False)


def _requests_note() -> str:
    return _(
        "Requests that arrived in the period, in their state now; tasks by visit date. "
        "Hours to accept: the median from arrival to acceptance."
    )


def _nothing() -> RequestFigures:
    zero = Count(0, 0)
    return RequestFigures(
        zero, zero, zero, zero, zero, zero, Median(None, zero), Rate(zero, zero), zero
    )


def partner_requests_table(since: date, until: date) -> Table:
    """For the coordinator: one row per partner with requests or tasks, then all partners."""
    per_partner = request_figures(since, until, by="partner")
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_([key[0] for key in per_partner])
        )
    )
    names = {row.id: row.name for row in rows}
    table = Table(
        "partner-requests",
        _("Service requests per partner"),
        [_("Partner"), *request_columns()],
        note=_requests_note(),
    )
    for key in sorted(per_partner, key=lambda key: names.get(key[0], "").casefold()):
        table.rows.append([names.get(key[0], "?"), *per_partner[key].cells()])
    overall = request_figures(since, until).get((), _nothing())
    table.rows.append([_("All partners"), *overall.cells()])
    return table


def professional_tasks_table(since: date, until: date) -> Table:
    """Per category: professional tasks done through a partner and otherwise (by the owner)."""
    where = and_(
        MaintenanceLog.action == "done",
        MaintenanceLog.done_on >= since,
        MaintenanceLog.done_on <= until,
        Task.difficulty == "professional",
    )
    through = MaintenanceLog.partner_id.is_not(None)
    data = grouped(
        MaintenanceLog,
        where,
        [ProductModel.category],
        [
            Measure("done", true()),
            Measure("partner", through),
            Measure("otherwise", MaintenanceLog.partner_id.is_(None)),
        ],
        joins=[
            (
                Task,
                and_(
                    Task.version_id == MaintenanceLog.version_id,
                    Task.key == MaintenanceLog.task_key,
                ),
            ),
            (Unit, Unit.id == MaintenanceLog.unit_id),
            (ProductModel, ProductModel.id == Unit.product_model_id),
        ],
    )
    table = Table(
        "professional-tasks",
        _("Professional tasks done"),
        [
            _("Category"),
            _("Professional tasks done"),
            _("Through a partner"),
            _("Otherwise (by the owner)"),
            _("Share through a partner"),
        ],
        chart=Chart("bars", [2, 3], _("Number of tasks")),
        note=_("Tasks a protocol marks as work for a professional, by the day they were done."),
    )
    for name, category in sorted((category_name(key[0]), key[0]) for key in data.groups()):
        key = (category,)
        table.rows.append(
            [
                name,
                data.get(key, "done"),
                data.get(key, "partner"),
                data.get(key, "otherwise"),
                Rate(data.get(key, "partner"), data.get(key, "done")),
            ]
        )
    return table


def repair_outcomes_table(since: date, until: date) -> Table:
    """Per category: how repairs ended, as owners told it (stored without any owner)."""
    column = RepairOutcome.outcome
    data = grouped(
        RepairOutcome,
        and_(RepairOutcome.recorded_on >= since, RepairOutcome.recorded_on <= until),
        [ProductModel.category],
        [
            *(Measure(outcome, column == outcome) for outcome in OUTCOME_COLUMNS),
            Measure("all", true()),
        ],
        joins=[(ProductModel, ProductModel.id == RepairOutcome.product_model_id)],
    )
    table = Table(
        "repair-outcomes",
        _("Repair outcomes"),
        [
            _("Category"),
            _("Fixed it themselves"),
            _("Fixed by a repairer"),
            _("Could not be repaired"),
            _("Outcomes told"),
        ],
        chart=Chart("bars", [1, 2, 3], _("Number of repairs")),
        note=_("As owners told it after “Still not right?”; the ORDS export has the details."),
    )
    for name, category in sorted((category_name(key[0]), key[0]) for key in data.groups()):
        key = (category,)
        table.rows.append(
            [name, *(data.get(key, outcome) for outcome in OUTCOME_COLUMNS), data.get(key, "all")]
        )
    return table


def partner_tables(since: date, until: date) -> list[Table]:
    """The partner tables of the coordinator's dashboard."""
    return [
        partner_requests_table(since, until),
        professional_tasks_table(since, until),
        repair_outcomes_table(since, until),
    ]


def partner_dashboard(partner_id: int, since: date, until: date) -> Dashboard:
    """A partner's own figures: the whole period, then month by month."""
    columns = request_columns()
    whole = request_figures(since, until, partner_id=partner_id, own=True).get((), _nothing())
    summary = Table(
        "requests",
        _("Your service requests"),
        [_("Period"), *columns],
        rows=[
            [
                _("%(first)s to %(last)s", first=f"{since:%Y-%m}", last=f"{until:%Y-%m}"),
                *whole.cells(),
            ]
        ],
        note=_requests_note(),
    )
    months = request_figures(since, until, partner_id=partner_id, by="month", own=True)
    by_month = Table(
        "requests-by-month",
        _("Per month"),
        [_("Month"), *columns],
        chart=Chart("line", [1, 4], _("Number of requests")),
    )
    for month in months_between(since, until):
        by_month.rows.append([month, *months.get((month,), _nothing()).cells()])
    return Dashboard(
        _("Figures for %(partner)s", partner=_partner_name(partner_id)), [summary, by_month]
    )


def _partner_name(partner_id: int) -> str:
    organisation = db.session.get(Organisation, partner_id)
    return organisation.name if organisation is not None else str(partner_id)
