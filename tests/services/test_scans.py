"""Scans are counted for the figures: held per process, written in batches, never lost on exit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from maintenance.config import ROOT
from maintenance.models import ScanEvent
from maintenance.services import scans as scans_module
from maintenance.services.scans import pending_scans, record_scan, write_pending_scans
from maintenance.services.units.create import create_unit
from tests.builders import GTIN, make_model, make_shop

WAIT_SECONDS = 10  # how long a test waits for the background write before it gives up


def scans(db: object) -> int:
    db.session.remove()  # see rows other sessions committed since
    return db.session.scalar(select(func.count()).select_from(ScanEvent))


@pytest.fixture
def batches(app: Flask) -> Iterator[Flask]:
    """Scans held in batches of 3, the oldest for at most an hour unless a test says otherwise."""
    saved = app.config["SCAN_BATCH_SIZE"], app.config["SCAN_FLUSH_SECONDS"]
    app.config.update(SCAN_BATCH_SIZE=3, SCAN_FLUSH_SECONDS=3600)
    yield app
    with app.app_context():
        write_pending_scans()  # nothing held over into the next test
    app.config["SCAN_BATCH_SIZE"], app.config["SCAN_FLUSH_SECONDS"] = saved


def unit_page(db: object) -> str:
    make_model()
    create_unit(make_shop(), GTIN, "SN1")
    return f"/01/{GTIN}/21/SN1"


def test_a_scan_is_stored_without_anything_about_the_person(db: object) -> None:
    model = make_model()
    unit = create_unit(make_shop(), GTIN, "SN1").unit
    record_scan(GTIN, model.id, unit.id, "qr")
    event = db.session.scalar(select(ScanEvent))
    assert (event.gtin, event.unit_id, event.product_model_id, event.source) == (
        GTIN,
        unit.id,
        model.id,
        "qr",
    )
    # The day of the scan in the service's time zone, not the host's (UTC) day.
    assert event.day == event.at.astimezone(ZoneInfo("Europe/Amsterdam")).date()
    # Nothing else is kept: no address, browser or session that could point at a person.
    assert {c.name for c in ScanEvent.__table__.columns} == {
        "id",
        "gtin",
        "unit_id",
        "product_model_id",
        "day",
        "source",
        "at",
    }


def test_scans_wait_for_a_full_batch_and_then_are_all_written(
    batches: Flask, client: FlaskClient, db: object
) -> None:
    path = unit_page(db)
    for _ in range(2):
        assert client.get(path).status_code == 200
    assert (scans(db), pending_scans()) == (0, 2)
    assert client.get(path).status_code == 200
    assert (scans(db), pending_scans()) == (3, 0)


def test_a_held_scan_is_written_when_no_other_scan_comes(
    batches: Flask, client: FlaskClient, db: object
) -> None:
    batches.config["SCAN_FLUSH_SECONDS"] = 0.2
    path = unit_page(db)
    assert client.get(path).status_code == 200
    deadline = time.monotonic() + WAIT_SECONDS
    while scans(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (scans(db), pending_scans()) == (1, 0)


def test_a_process_that_exits_writes_the_scans_it_holds(app: Flask, db: object) -> None:
    model = make_model()
    db.session.commit()
    # A separate process, as a gunicorn worker that is replaced after its max_requests.
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = (
        "from maintenance import create_app\n"
        "from maintenance.config import TestConfig\n"
        "from maintenance.services.scans import record_scan\n"
        f"app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI={url!r},"
        " SCAN_BATCH_SIZE=100, SCAN_FLUSH_SECONDS=3600)\n"
        "with app.app_context():\n"
        f"    for _ in range(5): record_scan({GTIN!r}, {model.id}, None, 'qr')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert scans(db) == 5


def test_a_failed_write_of_the_counts_still_serves_the_page(
    client: FlaskClient, db: object, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    path = unit_page(db)

    def database_gone(rows: object) -> None:
        raise OperationalError("INSERT INTO scan_event", {}, Exception("server closed"))

    monkeypatch.setattr(scans_module, "_insert", database_gone)
    response = client.get(path)
    assert response.status_code == 200 and "SN1" in response.get_data(as_text=True)
    assert "not counted" in caplog.text
