"""The unit page (QR target): tasks in due order, details folded, remind me and done it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import limiter
from maintenance.models import MaintenanceLog, TaskSchedule, Unit
from tests.conftest import csrf_token
from tests.owners.builders import GTIN, make_model, make_unit, unit_path


@pytest.fixture(autouse=True)
def _fresh_limits(app) -> None:
    limiter.reset()


def test_unit_page_lists_tasks_in_due_order_with_dates(client: FlaskClient, library, db) -> None:
    make_unit(sold_on=date(2024, 1, 10))
    page = client.get(unit_path(), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Testmerk" in page and "VW 100" in page
    titles = re.findall(r'<span class="task-title">([^<]+)</span>', page)
    assert titles[0] == "Clean the filter"  # monthly: the first to fall due
    assert "Overdue since" in page or "Next:" in page
    assert "<details>" in page and "<summary>" in page
    assert 'name="csrf_token"' in page
    assert "Remind me" in page


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
    again = client.post("/units/done", data=form, headers=english)
    assert again.status_code == 303
    logs = db.session.scalars(select(MaintenanceLog)).all()
    assert [(log.unit_id, log.task_key, log.owner_id) for log in logs] == [
        (unit.id, "clean-filter", None)
    ]
    page = client.get(unit_path(), headers=english).get_data(as_text=True)
    assert "already logged today" in page or "Logged" in page


def test_done_it_needs_the_form_token(client: FlaskClient, library, db) -> None:
    make_unit()
    form = {"gtin": GTIN, "serial": "SN0001", "task": "clean-filter"}
    assert client.post("/units/done", data=form).status_code == 400
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
