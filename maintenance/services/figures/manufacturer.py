"""A manufacturer's figures, for its own models only: funnel, tasks, reminders, versions."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, not_

from maintenance.i18n import localized
from maintenance.models import Event, ScanEvent
from maintenance.services.figures.cells import Chart, Rate, Table, Value
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.queries import (
    ON_TIME_GRACE_DAYS,
    Grouped,
    Measure,
    Scope,
    grouped,
    kind_is,
    model_categories,
    model_names,
    month_of,
    months_between,
    on_time,
    scans,
    task_titles,
    version_labels,
    vocabulary_task_title,
)

# The most-snoozed-or-skipped table shows this many tasks.
TOP_TASKS = 10


def _task_measures() -> list[Measure]:
    done = kind_is("task_done")
    return [
        Measure("on_time", and_(done, on_time())),
        Measure("late", and_(done, not_(on_time()))),
        Measure("skipped", kind_is("task_skipped")),
        Measure("snoozed", kind_is("task_snoozed")),
        Measure("reminder_sent", kind_is("reminder_sent")),
        Measure("after_reminder", and_(done, Event.from_reminder.is_(True))),
        Measure("done", done),
    ]


TASK_KINDS = ("task_done", "task_skipped", "task_snoozed", "reminder_sent")


def funnel(scope: Scope) -> tuple[Table, Table]:
    """Scans → sign-ups → confirmed owners, in total and per model."""
    scanned = scans(scope, [ScanEvent.product_model_id])
    people = grouped(
        Event,
        and_(scope.event_filter(), kind_is("signup", "confirmed")),
        [Event.product_model_id],
        [Measure("signup", kind_is("signup")), Measure("confirmed", kind_is("confirmed"))],
    )
    total_scans = scanned.rollup(lambda key: ())
    totals = people.rollup(lambda key: ())
    total = Table(
        "funnel",
        _("From scan to reminders"),
        [_("Step"), _("Count")],
        [
            [_("Scans"), total_scans.get((), "scans")],
            [_("Sign-ups"), totals.get((), "signup")],
            [_("Confirmed owners"), totals.get((), "confirmed")],
        ],
        chart=Chart("bars", [1], _("Number of scans, sign-ups or owners")),
    )
    names = model_names([*(k[0] for k in scanned.groups()), *(k[0] for k in people.groups())])
    per_model = Table(
        "funnel-per-model",
        _("Per model"),
        [_("Model"), _("Scans"), _("Sign-ups"), _("Confirmed owners"), _("Confirmed per scan")],
        chart=Chart("bars", [1, 2, 3], _("Number of scans, sign-ups or owners")),
    )
    for model_id in sorted(names, key=lambda i: names[i]):
        key = (model_id,)
        scan_count = scanned.get(key, "scans")
        confirmed = people.get(key, "confirmed")
        per_model.rows.append(
            [
                names[model_id],
                scan_count,
                people.get(key, "signup"),
                confirmed,
                Rate(confirmed, scan_count),
            ]
        )
    return total, per_model


def task_events(scope: Scope) -> Grouped:
    """One pass over the task events, by model, task, version and month; tables roll it up."""
    return grouped(
        Event,
        and_(scope.event_filter(), kind_is(*TASK_KINDS)),
        [Event.product_model_id, Event.task_key, Event.version_id, month_of(Event.day)],
        _task_measures(),
    )


def tasks(data: Grouped) -> tuple[Table, Table, Table]:
    """Tasks done on time, late, skipped and snoozed per model and task; the hardest tasks."""
    per = data.rollup(lambda key: key[:2])
    names = model_names(key[0] for key in per.groups())
    # A task is named as the newest protocol version it was planned under names it.
    newest: dict[tuple[int, str], int] = {}
    for model_id, task_key, version_id, _month in data.groups():
        if version_id is not None:
            newest[model_id, task_key] = max(version_id, newest.get((model_id, task_key), 0))
    titles = task_titles((version_id, key[1]) for key, version_id in newest.items())
    categories = model_categories(names)
    labels = {
        key: localized(
            titles.get((newest.get(key, 0), key[1]))
            or vocabulary_task_title(categories.get(key[0]), key[1])
        )
        for key in per.groups()
    }
    keys = sorted(
        (key for key in per.groups() if key[0] in names), key=lambda k: (names[k[0]], labels[k])
    )
    per_task = Table(
        "tasks",
        _("Tasks per model"),
        [
            _("Model"),
            _("Task"),
            _("Done on time"),
            _("Done late"),
            _("Skipped"),
            _("Snoozed"),
            _("Done after a reminder"),
        ],
        note=_(
            "On time: done no later than %(days)s days after the due date. Done after a "
            "reminder: done through a reminder's link within 14 days, as a share of tasks "
            "reminded.",
            days=ON_TIME_GRACE_DAYS,
        ),
    )
    hardest: list[tuple[int, list[Value]]] = []
    for key in keys:
        row: list[Value] = [
            names[key[0]],
            labels[key],
            per.get(key, "on_time"),
            per.get(key, "late"),
            per.get(key, "skipped"),
            per.get(key, "snoozed"),
            Rate(per.get(key, "after_reminder"), per.get(key, "reminder_sent")),
        ]
        per_task.rows.append(row)
        given_up = per.get(key, "snoozed").value + per.get(key, "skipped").value
        if given_up:
            hardest.append((given_up, [row[0], row[1], row[5], row[4], per.get(key, "done")]))
    hardest.sort(key=lambda item: -item[0])
    most = Table(
        "most-snoozed-skipped",
        _("Tasks most often snoozed or skipped"),
        [_("Model"), _("Task"), _("Snoozed"), _("Skipped"), _("Done")],
        [row for _count, row in hardest[:TOP_TASKS]],
        chart=Chart("bars", [2, 3, 4], _("Number of tasks"), labels=2),
        note=_("Often put off or skipped: the protocol may ask too much."),
    )
    # Per-task rows would make too long a chart on a phone: chart the totals per outcome.
    totals = data.rollup(lambda key: ())
    outcome = Table(
        "task-outcomes",
        _("What happened to due tasks"),
        [_("Outcome"), _("Tasks")],
        [
            [_("Done on time"), totals.get((), "on_time")],
            [_("Done late"), totals.get((), "late")],
            [_("Skipped"), totals.get((), "skipped")],
            [_("Snoozed"), totals.get((), "snoozed")],
        ],
        chart=Chart("bars", [1], _("Number of tasks")),
    )
    return outcome, per_task, most


def reminders_by_month(data: Grouped, months: list[str]) -> Table:
    """Tasks reminded and done after a reminder, per month, with the rate."""
    table = Table(
        "done-after-reminder",
        _("Done after a reminder, per month"),
        [_("Month"), _("Tasks reminded"), _("Done after the reminder"), _("Rate")],
        chart=Chart("line", [3], _("Tasks done after a reminder (%)"), unit="%"),
    )
    for name in months:
        reminded = data.get((name,), "reminder_sent")
        after = data.get((name,), "after_reminder")
        table.rows.append([name, reminded, after, Rate(after, reminded)])
    return table


def versions(data: Grouped) -> Table:
    """Outcomes per protocol version, to see whether a new version is followed better."""
    per = data.rollup(lambda key: (key[2],))
    labels = version_labels(key[0] for key in per.groups())
    table = Table(
        "versions",
        _("Per protocol version"),
        [
            _("Protocol"),
            _("Version"),
            _("Done on time"),
            _("Done late"),
            _("Skipped"),
            _("Snoozed"),
            _("Done after a reminder"),
        ],
    )
    for key in sorted(labels, key=lambda i: (localized(labels[i][1]), labels[i][2])):
        _category, title, number = labels[key]
        row = (key,)
        table.rows.append(
            [
                localized(title),
                str(number),
                per.get(row, "on_time"),
                per.get(row, "late"),
                per.get(row, "skipped"),
                per.get(row, "snoozed"),
                Rate(per.get(row, "after_reminder"), per.get(row, "reminder_sent")),
            ]
        )
    return table


def manufacturer_dashboard(scope: Scope) -> Dashboard:
    """Every table of the manufacturer dashboard."""
    total, per_model = funnel(scope)
    data = task_events(scope)
    outcome, per_task, most = tasks(data)
    by_month = reminders_by_month(
        data.rollup(lambda key: (key[3],)), months_between(scope.start, scope.end)
    )
    return Dashboard(
        _("Figures for your models"),
        [total, per_model, outcome, by_month, per_task, most, versions(data)],
    )
