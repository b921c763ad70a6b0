"""Every dashboard's figures equal a count written straight in SQL over the same rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from maintenance.extensions import db
from maintenance.services.figures import (
    Count,
    Rate,
    Scope,
    manufacturer_dashboard,
    retailer_dashboard,
    sector_dashboard,
)
from maintenance.services.figures.cells import Table
from tests.builders import World, build_world

START, END = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def world(ctx) -> World:
    return build_world()


def sql(query: str, **params: object) -> list[tuple]:
    """Rows of a plain SQL query."""
    return [tuple(row) for row in db.session.execute(text(query), params)]


def late_sql() -> str:
    """Days between the day done and the due date, in this database's own words."""
    if db.engine.dialect.name == "postgresql":
        return "(day - due_on)"
    return "(julianday(day) - julianday(due_on))"


def row_for(table: Table, *labels: str) -> list:
    """The table row whose leading cells are these labels."""
    for row in table.rows:
        if tuple(row[: len(labels)]) == labels:
            return row
    raise AssertionError(f"no row {labels} in {table.key}: {table.text_rows()}")


def value(cell: object) -> int:
    assert isinstance(cell, Count), cell
    return cell.value


def test_manufacturer_funnel_and_tasks_match_sql(world: World) -> None:
    scope = Scope(START, END, manufacturer_id=world.maker.id)
    dashboard = manufacturer_dashboard(scope)
    funnel = dashboard.table("funnel-per-model")
    for model in (world.washer, world.dryer):
        label = f"{model.brand} {model.name}"
        [(scans,)] = sql(
            "select count(*) from scan_event where product_model_id = :m and day between :s and :e",
            m=model.id,
            s=START,
            e=END,
        )
        signups, confirmed = (
            sql(
                "select count(*) from event where product_model_id = :m and kind = :k "
                "and day between :s and :e",
                m=model.id,
                k=kind,
                s=START,
                e=END,
            )[0][0]
            for kind in ("signup", "confirmed")
        )
        row = row_for(funnel, label)
        assert [value(row[1]), value(row[2]), value(row[3])] == [scans, signups, confirmed]
    tasks = dashboard.table("tasks")
    row = row_for(tasks, "Merk Washer W1", "Pompfilter reinigen")  # clean-filter, named
    [(on_time, late, skipped, snoozed)] = sql(
        f"select sum(case when kind = 'task_done' and {late_sql()} <= 7 then 1 else 0 end), "
        f"sum(case when kind = 'task_done' and {late_sql()} > 7 then 1 else 0 end), "
        "sum(case when kind = 'task_skipped' then 1 else 0 end), "
        "sum(case when kind = 'task_snoozed' then 1 else 0 end) "
        "from event where product_model_id = :m and task_key = 'clean-filter'",
        m=world.washer.id,
    )
    assert [value(c) for c in row[2:6]] == [on_time, late, skipped, snoozed] == [8, 4, 0, 0]
    [(after, reminded)] = sql(
        "select sum(case when kind = 'task_done' and from_reminder then 1 else 0 end), "
        "sum(case when kind = 'reminder_sent' then 1 else 0 end) "
        "from event where product_model_id = :m and task_key = 'clean-filter'",
        m=world.washer.id,
    )
    rate = row[6]
    assert isinstance(rate, Rate)
    assert (rate.part.value, rate.whole.value) == (after, reminded) == (6, 12)
    assert rate.shown == "50.0%"
    by_month = dashboard.table("done-after-reminder")
    march = row_for(by_month, "2026-03")
    [(all_reminded, all_after)] = sql(
        "select sum(case when kind = 'reminder_sent' then 1 else 0 end), "
        "sum(case when kind = 'task_done' and from_reminder then 1 else 0 end) "
        "from event where manufacturer_id = :o",
        o=world.maker.id,
    )
    assert [value(march[1]), value(march[2])] == [all_reminded, all_after] == [13, 7]


def test_retailer_figures_match_sql(world: World) -> None:
    scope = Scope(START, END, retailer_id=world.shop.id)
    dashboard = retailer_dashboard(scope)
    per_model = dashboard.table("per-model")
    for model in (world.washer, world.rival):
        [(labelled, printed)] = sql(
            "select count(*), sum(labels_printed) from unit where retailer_id = :r "
            "and product_model_id = :m",
            r=world.shop.id,
            m=model.id,
        )
        [(registered,)] = sql(
            "select count(distinct unit.id) from unit join event on event.unit_id = unit.id "
            "and event.kind = 'confirmed' "
            "where unit.retailer_id = :r and unit.product_model_id = :m",
            r=world.shop.id,
            m=model.id,
        )
        [(scans,)] = sql(
            "select count(*) from scan_event join unit on unit.id = scan_event.unit_id "
            "where unit.retailer_id = :r and scan_event.product_model_id = :m",
            r=world.shop.id,
            m=model.id,
        )
        row = row_for(per_model, f"{model.brand} {model.name}")
        assert [value(c) for c in row[1:5]] == [labelled, printed, scans, registered]
    march = row_for(dashboard.table("per-month"), "2026-03")
    [(signups,)] = sql(
        "select count(*) from event where retailer_id = :r and kind = 'signup'", r=world.shop.id
    )
    assert value(march[4]) == signups == 18


def test_sector_figures_match_sql(world: World) -> None:
    dashboard = sector_dashboard(Scope(START, END))
    categories = dashboard.table("categories")
    # The categories table names each category (Dutch outside a request); the export keeps ids.
    for category, name in (("washing-machine", "Wasmachine"), ("dishwasher", "Vaatwasser")):
        [(units,)] = sql(
            "select count(*) from unit join product_model on product_model.id = "
            "unit.product_model_id where product_model.category = :c",
            c=category,
        )
        [(done,)] = sql(
            "select count(*) from event where category = :c and kind = 'task_done'", c=category
        )
        row = row_for(categories, name)
        assert value(row[2]) == units
        assert value(row[7]) == done
    channels = dashboard.table("reminders-by-channel")
    march = row_for(channels, "2026-03")
    expected = {
        channel: sql(
            "select count(*) from event where channel = :c and kind = 'reminder_delivered'",
            c=channel,
        )[0][0]
        for channel in ("email", "sms")
    }
    assert value(march[2]) == expected["email"] == 15
    assert value(march[5]) == expected["sms"] == 4
    export = dashboard.table("monthly-export")
    row = row_for(export, "2026-03", "washing-machine")
    heading = export.columns.index("done_on_time")
    assert value(row[heading]) == 8
    assert export.to_csv().splitlines()[0].startswith("month,category,scans,sign_ups")


def test_sector_period_cut_mid_month_counts_only_its_days(world: World) -> None:
    start, end = date(2026, 3, 2), date(2026, 3, 22)
    export = sector_dashboard(Scope(start, end)).table("monthly-export")
    row = row_for(export, "2026-03", "washing-machine")
    for kind, heading in (("signup", "sign_ups"), ("reminder_sent", "tasks_reminded")):
        [(inside,)] = sql(
            "select count(*) from event where category = 'washing-machine' and kind = :k "
            "and day between :s and :e",
            k=kind,
            s=start,
            e=end,
        )
        assert value(row[export.columns.index(heading)]) == inside
    [(late_in_march,)] = sql(
        f"select count(*) from event where category = 'washing-machine' and kind = 'task_done' "
        f"and {late_sql()} > 7"
    )
    assert late_in_march > 0  # done after the 22nd, so outside the period
    assert value(row[export.columns.index("sign_ups")]) == 0  # signed up on the 1st
    assert value(row[export.columns.index("done_late")]) == 0
