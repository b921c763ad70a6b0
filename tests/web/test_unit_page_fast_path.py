"""The unit page's fast path (parts rendered once, a scan's values filled in as bytes) gives
exactly the page the templates give when rendered with the scan's own values in place."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask, get_template_attribute, render_template, request
from flask.testing import FlaskClient
from flask_babel import format_date
from markupsafe import Markup

from maintenance.db.transactions import transactional
from maintenance.extensions import limiter
from maintenance.i18n import language_url
from maintenance.models import Unit
from maintenance.services.identifiers import encode_path_value
from maintenance.services.owners.signup import CONSENT_TEXT_VERSION
from maintenance.services.schedules.preview import due_order
from maintenance.services.units.find import find_scanned
from maintenance.web import unit_page
from tests.builders import GTIN, make_unit

TODAY = date(2024, 6, 15)
ENGLISH = {"Accept-Language": "en"}
# Characters HTML and URLs treat specially, all allowed in a GS1 serial.
AWKWARD_SERIAL = "A&B\"<'1>"


@pytest.fixture(autouse=True)
def _fixed_day(app, monkeypatch: pytest.MonkeyPatch) -> None:
    limiter.reset()
    monkeypatch.setattr(unit_page, "service_today", lambda: TODAY)


def reference_page(app: Flask, path: str, serial: str | None, unit_code: str | None) -> bytes:
    """The page rendered straight from the templates, every marker replaced by its value."""
    with app.test_request_context(path, headers=ENGLISH):
        scanned = find_scanned(GTIN, serial=serial, unit_code=unit_code)
        assert scanned is not None and scanned.version is not None
        version = scanned.version
        kind = "serial" if serial is not None else "code" if unit_code is not None else None

        def part(name: str):
            return get_template_attribute(unit_page.PARTS_TEMPLATE, name)

        values: dict[str, object] = {"gtin": GTIN, "code": serial or unit_code or ""}
        values["identity"] = part("identity")(kind, False, values)
        items = []
        for key, next_due in due_order(scanned.unit, version, TODAY, unit_has_records=True):
            spec = next(task.spec for task in version.tasks if task.key == key)
            due = part("due")(format_date(next_due, "long"), next_due < TODAY)
            items.append(str(part("item")(key, spec, {**values, "due": due})))
        values["tasks"] = Markup("".join(items))
        body = render_template(
            unit_page.BODY_TEMPLATE,
            model=scanned.model,
            version=version,
            kind=kind,
            owner=False,
            mine=False,
            language="en",
            consent_version=CONSENT_TEXT_VERSION,
            marks=values,
        )
        return render_template(
            unit_page.PAGE_TEMPLATE,
            title=f"{scanned.model.brand} {scanned.model.name}",
            body=Markup(body),
            language_url=lambda language: language_url(language, back_to=request.full_path),
        ).encode()


@pytest.mark.parametrize("serial", ["SN0001", AWKWARD_SERIAL])
def test_the_filled_in_page_equals_the_templates_own(
    app: Flask, client: FlaskClient, library, db, serial: str
) -> None:
    make_unit(serial=serial, sold_on=date(2024, 1, 10))
    path = f"/01/{GTIN}/21/{encode_path_value(serial)}"
    served = client.get(path, headers=ENGLISH)
    assert served.status_code == 200
    page = served.get_data()
    assert b"[[" not in page  # no marker left behind
    assert b"Something is wrong?" in page and b"Overdue since" in page
    assert page == reference_page(app, path, serial, None)
    # The second scan comes from the kept parts and is still the same page.
    assert client.get(path, headers=ENGLISH).get_data() == page


@transactional
def with_unit_code(unit: Unit, code: str) -> None:
    unit.serial, unit.unit_code = None, code


def test_a_unit_code_and_an_unregistered_serial_fill_in_the_same(
    app: Flask, client: FlaskClient, library, db
) -> None:
    with_unit_code(make_unit(), "4679ACDEFG")
    by_code = f"/01/{GTIN}/235/4679ACDEFG"
    page = client.get(by_code, headers=ENGLISH).get_data()
    assert b'name="code" value="4679ACDEFG"' in page
    assert page == reference_page(app, by_code, None, "4679ACDEFG")
    unregistered = f"/01/{GTIN}/21/NEW1"
    assert client.get(unregistered, headers=ENGLISH).get_data() == reference_page(
        app, unregistered, "NEW1", None
    )
