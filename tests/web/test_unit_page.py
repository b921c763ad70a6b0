"""The unit page (QR target): tasks in due order, details folded, remind me and done it."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from maintenance.db.reads import read_first
from maintenance.models import MaintenanceLog, TaskSchedule, Unit
from maintenance.web.visitors import OWNER_SESSION_KEY
from tests.builders import GTIN, make_model, make_unit, unit_path
from tests.conftest import csrf_token


def test_unit_page_lists_tasks_in_due_order_with_dates(client: FlaskClient, library, db) -> None:
    make_unit(sold_on=date(2024, 1, 10))
    page = client.get(unit_path(), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Testmerk" in page and "VW 100" in page
    titles = re.findall(r'<span class="task-title">([^<]+)</span>', page)
    assert titles[0] == "Clean the filter"  # monthly: the first to fall due
    # Sold on 10 January 2024, the monthly filter has been due since a month later.
    assert "Overdue since February 10, 2024" in page
    assert "<details>" in page and "<summary>" in page
    assert "Remind me" in page


def test_a_visitor_who_is_not_signed_in_gets_no_cookie(client: FlaskClient, library, db) -> None:
    make_unit()
    response = client.get(unit_path())
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in response.get_data(as_text=True)


def test_a_signed_in_visitor_gets_the_form_token(client: FlaskClient, library, db) -> None:
    make_unit()
    with client.session_transaction() as session:
        session[OWNER_SESSION_KEY] = 1
    page = client.get(unit_path()).get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert len(tokens) >= 2 and len(set(tokens)) == 1  # "done it" forms and "remind me"


def test_unit_page_is_light_and_self_contained(client: FlaskClient, library, db) -> None:
    make_unit()
    response = client.get(unit_path())
    page = response.get_data(as_text=True)
    assert len(response.data) < 100 * 1024
    assert "<script src" not in page and "@import" not in page
    assert not re.search(r'(href|src)="https?://', page)
    for field in re.findall(r'<input id="([^"]+)"', page):
        assert f'for="{field}"' in page, field


def test_page_view_writes_no_plan(client: FlaskClient, library, db) -> None:
    make_unit()
    client.get(unit_path())
    assert db.session.scalars(select(TaskSchedule)).all() == []


def test_done_it_logs_for_this_unit_without_an_account(client: FlaskClient, library, db) -> None:
    unit = make_unit()
    token = csrf_token(client, unit_path())
    form = {"csrf_token": token, "gtin": GTIN, "serial": "SN0001", "task": "clean-filter"}
    # The flash is worded when the form is sent, so the POSTs ask for the page's language too.
    english = {"Accept-Language": "en"}
    response = client.post("/units/done", data=form, headers=english)
    assert response.status_code == 303
    first = client.get(unit_path(), headers=english).get_data(as_text=True)
    again = client.post("/units/done", data=form, headers=english)
    assert again.status_code == 303
    second = client.get(unit_path(), headers=english).get_data(as_text=True)
    logs = db.session.scalars(select(MaintenanceLog)).all()
    assert [(log.unit_id, log.task_key, log.owner_id) for log in logs] == [
        (unit.id, "clean-filter", None)
    ]
    assert "Thank you! Logged for this appliance." in first
    assert "This was already logged today." in second
    assert "Logged for this appliance." not in second


DONE_FORM = {"gtin": GTIN, "serial": "SN0001", "task": "clean-filter"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_done_it_from_another_site_is_refused(
    client: FlaskClient, library, db, headers: dict[str, str]
) -> None:
    make_unit()
    assert client.post("/units/done", data=DONE_FORM, headers=headers).status_code == 400
    assert db.session.scalars(select(MaintenanceLog)).all() == []


def test_done_it_from_this_site_needs_no_token_when_not_signed_in(
    client: FlaskClient, library, db
) -> None:
    make_unit()
    same_site = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/units/done", data=DONE_FORM, headers=same_site).status_code == 303
    assert len(db.session.scalars(select(MaintenanceLog)).all()) == 1


def test_done_it_needs_the_form_token_when_signed_in(client: FlaskClient, library, db) -> None:
    make_unit()
    with client.session_transaction() as session:
        session[OWNER_SESSION_KEY] = 1
    assert client.post("/units/done", data=DONE_FORM).status_code == 400
    assert db.session.scalars(select(MaintenanceLog)).all() == []


def test_unregistered_serial_of_a_known_model_shows_the_protocol(
    client: FlaskClient, library, db
) -> None:
    make_model()
    page = client.get(unit_path("NEW123"), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Clean the filter" in page.get_data(as_text=True)
    token = csrf_token(client, unit_path("NEW123"))
    form = {"csrf_token": token, "gtin": GTIN, "serial": "NEW123", "task": "clean-filter"}
    client.post("/units/done", data=form)
    unit = db.session.scalar(select(Unit).where(Unit.serial == "NEW123"))
    assert unit is not None and unit.retailer_id is None


def test_the_language_link_comes_back_to_the_same_unit(client: FlaskClient, library, db) -> None:
    make_unit()
    page = client.get(unit_path(), headers={"Accept-Language": "nl"}).get_data(as_text=True)
    link = re.search(r'<a lang="en" href="([^"]+)"', page)
    assert link is not None
    switched = client.get(link.group(1).replace("&amp;", "&"))
    assert switched.status_code == 302 and switched.location.rstrip("?").endswith(unit_path())
    english = client.get(switched.location).get_data(as_text=True)
    assert "Clean the filter" in english and "Remind me" in english


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): a server that drops a connection",
)
def test_a_scan_is_served_after_the_database_dropped_its_connection(
    client: FlaskClient, library, db
) -> None:
    """The scan lookup's pool does not ping first, so a dropped connection is read again."""
    make_unit()
    assert client.get(unit_path()).status_code == 200
    row = read_first(text("select pg_backend_pid()"), {})  # the connection the scans use
    assert row is not None
    db.session.execute(text("select pg_terminate_backend(:pid)"), {"pid": row[0]})
    db.session.commit()
    response = client.get(unit_path())
    assert response.status_code == 200
    assert "VW 100" in response.get_data(as_text=True)


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): prepared statements on the server",
)
def test_scans_go_on_after_a_migration_changes_a_column_type(
    client: FlaskClient, library, db
) -> None:
    """psycopg prepares the scan statement after five runs; a type change makes that plan stale."""
    make_unit()
    for _ in range(8):
        assert client.get(unit_path()).status_code == 200
    alter = "ALTER TABLE product_model ALTER COLUMN brand TYPE {}"
    try:
        # What a migration does while the web keeps serving.
        db.session.execute(text(alter.format("text")))
        db.session.commit()
        response = client.get(unit_path())
        assert response.status_code == 200
        assert "Testmerk" in response.get_data(as_text=True)
    finally:
        db.session.rollback()
        db.session.execute(text(alter.format("varchar(100)")))
        db.session.commit()
    # And back again, on connections that prepared the statement with the other type.
    for _ in range(3):
        assert client.get(unit_path()).status_code == 200
    db.engine.dispose()  # the main pool's connections may hold plans of the other type too
