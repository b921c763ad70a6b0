"""The unit page stays cheap: few SQL statements per scan, and never a stale protocol."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from maintenance.models import Organisation, ScanEvent
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.plan import ensure_schedules
from maintenance.services.schedules.records import record_done
from tests.builders import GTIN, make_model, make_unit, protocol_yaml, unit_path

ENGLISH = {"Accept-Language": "en"}
# A scan of a unit nobody registered: the model, unit and version in force in one query, then
# the scan's insert. A unit with schedules and history also reads those (one query each).
MAX_STATEMENTS_UNREGISTERED = 2
MAX_STATEMENTS_WITH_HISTORY = 4


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def scans(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ScanEvent))


def test_a_scan_of_an_unregistered_unit_needs_two_statements(
    client: FlaskClient, library, db
) -> None:
    make_unit()
    client.get(unit_path())  # the first view of a protocol version loads it once per process
    with statements(db.engine) as sent:
        page = client.get(unit_path(), headers=ENGLISH)
    assert page.status_code == 200 and "Clean the filter" in page.get_data(as_text=True)
    assert len(sent) <= MAX_STATEMENTS_UNREGISTERED, sent
    assert scans(db) == 2  # the scan is still counted for the figures


def test_a_unit_with_schedules_and_history_needs_four(client: FlaskClient, library, db) -> None:
    unit = make_unit(sold_on=date(2024, 1, 10))
    ensure_schedules(unit, date(2024, 2, 1))
    record_done(unit, "clean-filter", date(2024, 2, 20))
    client.get(unit_path())
    with statements(db.engine) as sent:
        page = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "since March 20, 2024" in page  # a month after it was done, not after the sale
    assert len(sent) <= MAX_STATEMENTS_WITH_HISTORY, sent


def test_a_newly_published_version_shows_on_the_next_scan(client: FlaskClient, db) -> None:
    make_unit()
    maker = db.session.scalar(select(Organisation).where(Organisation.name == "Test Appliances"))
    models = [(GTIN, "VW 100")]
    publish_protocol(
        load_protocol(protocol_yaml(manufacturer=maker.name, models=models, every="P1M")),
        organisation=maker,
    )
    first = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "every month" in first and "Protocol version 1." in first
    publish_protocol(
        load_protocol(
            protocol_yaml(
                manufacturer=maker.name, models=models, every="P2M", title_en="Dishwasher care 2"
            )
        ),
        organisation=maker,
    )
    second = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "every 2 months" in second and "Protocol version 2." in second
    assert "Dishwasher care 2" in second


def test_a_makers_own_default_comes_before_the_librarys(client: FlaskClient, library, db) -> None:
    make_model()
    library_page = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "Dishwasher maintenance" in library_page
    maker = db.session.scalar(select(Organisation).where(Organisation.name == "Test Appliances"))
    publish_protocol(
        load_protocol(protocol_yaml(title_en="Our dishwasher care")),
        organisation=maker,
    )
    page = client.get(unit_path(), headers=ENGLISH).get_data(as_text=True)
    assert "Our dishwasher care" in page and "Dishwasher maintenance" not in page
