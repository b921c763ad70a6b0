"""Dashboard pages: who sees what, small counts hidden, nothing personal in pages or CSV."""

from __future__ import annotations

import csv
import html as html_text
import io
import re

import pytest
from sqlalchemy import inspect

from maintenance.extensions import db
from maintenance.models import Event, Owner
from tests.builders import PERIOD, World, build_world


@pytest.fixture
def world(ctx) -> World:
    return build_world()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def cells(html: str) -> list[str]:
    """The text of every table cell on a page."""
    return [
        html_text.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html)
    ]


def test_a_manufacturer_sees_only_its_own_models(world, make_user, login, client) -> None:
    login(make_user("manufacturer", organisation=world.maker.name))
    html = page(client, f"/dashboards/manufacturer?{PERIOD}")
    assert "Washer W1" in html and "Dryer D1" in html
    assert "Rival R9" not in html
    # Asking for the other maker's model or organisation changes nothing.
    sneaky = page(
        client,
        f"/dashboards/manufacturer?{PERIOD}&model={world.rival.id}&organisation={world.other_maker.id}",
    )
    assert "Rival R9" not in sneaky and "Maker Two" not in sneaky
    csv_text = client.get(f"/dashboards/manufacturer/funnel-per-model.csv?{PERIOD}").get_data(
        as_text=True
    )
    assert "Washer W1" in csv_text and "Rival R9" not in csv_text
    assert client.get("/dashboards/sector").status_code == 403
    assert client.get("/dashboards/retailer").status_code == 403


def test_the_other_manufacturer_sees_its_model_and_not_ours(
    world, make_user, login, client
) -> None:
    login(make_user("manufacturer", organisation=world.other_maker.name))
    html = page(client, f"/dashboards/manufacturer?{PERIOD}")
    assert "Rival R9" in html
    assert "Washer W1" not in html and "Dryer D1" not in html


def test_a_model_filter_narrows_the_figures(world, make_user, login, client) -> None:
    login(make_user("manufacturer", organisation=world.maker.name))
    html = page(client, f"/dashboards/manufacturer?{PERIOD}&model={world.dryer.id}")
    table = html.split('id="funnel-per-model"')[1].split("</table>")[0]
    assert "Dryer D1" in table and "Washer W1" not in table


def test_a_retailer_sees_only_units_it_sold(world, make_user, login, client) -> None:
    login(make_user("retailer", organisation=world.shop.name))
    html = page(client, f"/dashboards/retailer?{PERIOD}")
    # Shop One sold the washers and the rival's units, not the dryer.
    assert "Washer W1" in html and "Rival R9" in html
    assert "Dryer D1" not in html
    march = next(row for row in re.findall(r"<tr>(.*?)</tr>", html) if "2026-03" in row)
    # 12 washers + 6 rival units labelled, 18 sign-ups: nothing of Shop Two's dryer.
    assert cells(march)[:2] == ["2026-03", "18"]
    assert client.get("/dashboards/manufacturer").status_code == 403
    assert client.get("/dashboards/sector").status_code == 403


def test_the_other_retailer_sees_one_household_only_as_small(
    world, make_user, login, client
) -> None:
    login(make_user("retailer", organisation=world.other_shop.name))
    html = page(client, f"/dashboards/retailer?{PERIOD}")
    assert "Dryer D1" in html and "Washer W1" not in html and "Rival R9" not in html
    march = cells(next(r for r in re.findall(r"<tr>(.*?)</tr>", html) if "2026-03" in r))
    # Units labelled are the shop's own doing (3); scans, sign-ups, owners are one household.
    assert march == ["2026-03", "3", "3", "<5", "<5", "<5"]


def test_an_admin_sees_the_sector_and_may_pick_an_organisation(
    world, make_user, login, client
) -> None:
    login(make_user("admin", organisation="Coalition"))
    sector = page(client, f"/dashboards/sector?{PERIOD}")
    for category in ("Wasmachine", "Vaatwasser", "Wasdroger"):
        assert category in cells(section(sector, "categories"))
    chosen = page(client, f"/dashboards/manufacturer?{PERIOD}&organisation={world.other_maker.id}")
    assert "Rival R9" in chosen and "Washer W1" not in chosen


def section(html: str, key: str) -> str:
    """The part of a dashboard page that shows one table."""
    return html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]


def row_names(html: str) -> list[list[str]]:
    """The first two cells (model and task) of every body row of a table."""
    return [cells(row)[:2] for row in re.findall(r"<tr>(<th scope=\"row\">.*?)</tr>", html)]


@pytest.mark.parametrize(
    ("language", "washer_task", "dishwasher_task", "category"),
    [
        ("nl", "Pompfilter reinigen", "Filter reinigen", "Wasmachine"),
        ("en", "Clean the drain pump filter", "Clean the filter", "Washing machine"),
    ],
)
def test_tasks_and_categories_are_named_in_the_pages_language(
    world, make_user, login, client, language, washer_task, dishwasher_task, category
) -> None:
    login(make_user("admin", organisation="Coalition"))
    query = f"{PERIOD}&lang={language}"
    # "clean-filter" is another job on a dishwasher: each model's task has its category's name.
    maker = page(client, f"/dashboards/manufacturer?{query}&organisation={world.maker.id}")
    assert ["Merk Washer W1", washer_task] in row_names(section(maker, "tasks"))
    rival = page(client, f"/dashboards/manufacturer?{query}&organisation={world.other_maker.id}")
    assert row_names(section(rival, "tasks")) == [["Merk Rival R9", dishwasher_task]]
    sector = section(page(client, f"/dashboards/sector?{query}"), "categories")
    assert category in cells(sector) and "washing-machine" not in sector


def test_every_chart_names_its_axes(world, make_user, login, client) -> None:
    login(make_user("admin", organisation="Coalition"))
    for kind in ("manufacturer", "retailer", "sector"):
        html = page(client, f"/dashboards/{kind}?{PERIOD}&lang=en")
        charts = re.findall(r"<svg class=\"chart\".*?</svg>", html)
        assert len(charts) >= 2
        for chart in charts:
            names = re.findall(r'<text class="axis-label"[^>]*>([^<]+)</text>', chart)
            assert names and all(name.strip() for name in names), chart[:200]
            if "<polyline" in chart:
                assert "Month" in names  # a line chart names its months axis too


def test_staff_must_log_in(world, client) -> None:
    for url in (
        "/dashboards/sector",
        "/dashboards/manufacturer",
        "/dashboards/retailer",
        "/dashboards/sector/categories.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login?next="), url


def test_one_household_cannot_be_picked_out(world, make_user, login, client) -> None:
    """The dryer has one owner: every figure about it says "<5", on pages and in CSV files."""
    owner = Owner(email="lonely.owner@example.com", phone="+31612345678")
    db.session.add(owner)
    db.session.commit()
    login(make_user("admin", organisation="Coalition"))
    maker_page = page(client, f"/dashboards/manufacturer?{PERIOD}&organisation={world.maker.id}")
    dryer_rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", maker_page) if "Dryer D1" in r]
    assert dryer_rows, "the dryer has a row"
    for row in dryer_rows:
        numbers = [cell for cell in row[1:] if cell not in ("Dryer D1", "Merk Dryer D1")]
        assert all(cell in ("<5", "0", "-") or not cell[0].isdigit() for cell in numbers), row
        assert "1" not in numbers
    tumble = cells(
        next(
            r
            for r in re.findall(r"<tr>(.*?)</tr>", page(client, f"/dashboards/sector?{PERIOD}"))
            if ">Wasdroger<" in r
        )
    )
    assert tumble[0] == "Wasdroger"
    assert "1" not in tumble[3:]  # scans, sign-ups, owners, tasks: all "<5"
    every_csv = []
    for kind, keys in {
        "manufacturer": [
            "funnel",
            "funnel-per-model",
            "task-outcomes",
            "done-after-reminder",
            "tasks",
            "most-snoozed-skipped",
            "versions",
        ],
        "retailer": ["per-month", "per-model"],
        "sector": ["categories", "reminders-by-channel", "done-after-reminder", "monthly-export"],
    }.items():
        for key in keys:
            response = client.get(f"/dashboards/{kind}/{key}.csv?{PERIOD}")
            assert response.status_code == 200, (kind, key)
            assert response.mimetype == "text/csv"
            every_csv.append(response.get_data(as_text=True))
    export = list(csv.reader(io.StringIO(every_csv[-1])))
    dryer_month = next(row for row in export if row[:2] == ["2026-03", "tumble-dryer"])
    assert set(dryer_month[2:]) <= {"<5", "0"}
    everything = "\n".join(every_csv) + maker_page
    for personal in ("lonely.owner", "example.com", "+3161234", "W0001", "D0000", "R0003"):
        assert personal not in everything


def test_events_have_no_column_that_could_name_a_person(ctx) -> None:
    columns = {column["name"] for column in inspect(db.engine).get_columns(Event.__tablename__)}
    assert not columns & {"owner_id", "email", "phone", "ip", "user_agent", "note", "name"}


def test_each_chart_is_an_svg_with_the_numbers_in_a_table_below(
    world, make_user, login, client
) -> None:
    login(make_user("manufacturer", organisation=world.maker.name))
    html = page(client, f"/dashboards/manufacturer?{PERIOD}")
    section = html.split('id="task-outcomes"')[1].split("</section>")[0]
    assert section.index("<svg") < section.index("<table")
    assert 'role="img"' in section
    assert "<script" not in html
    # The chart shows the same numbers as the table (8 on time, 4 late for the washer, +1 dryer).
    assert ">9</text>" in section or ">9<" in section
