"""The retailer till without JavaScript: EAN, serial, label; reprint, void, CSV batch, roles."""

from __future__ import annotations

import html as html_text
import io
import re
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from maintenance.models import Unit
from tests.builders import GTIN, UNKNOWN_GTIN, make_model
from tests.conftest import csrf_token

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the service's default time zone

# The retailer's browser asks for English, the language these tests' messages are written in.
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def till(client: FlaskClient, db: object, make_user: object, login: object) -> FlaskClient:
    """A logged-in retailer of Shop A (Dutch labels), with one known model."""
    make_model(brand="Voorbeeld", name="WM 8000 Eco")
    login(make_user(role="retailer", organisation="Shop A"))
    return client


def post_unit(client: FlaskClient, headers: dict[str, str] | None = None, **fields: str) -> object:
    data = {"csrf_token": csrf_token(client, "/retailer/"), **fields}
    return client.post("/retailer/units", data=data, headers=headers)


def units(db: object) -> list[Unit]:
    db.session.expire_all()
    return list(db.session.scalars(select(Unit).order_by(Unit.id)))


def test_the_till_focuses_the_ean_and_defaults_the_sale_date_to_today(
    till: FlaskClient, db: object
) -> None:
    html = till.get("/retailer/").get_data(as_text=True)
    assert re.search(r'id="gtin"[^>]*autofocus', html)
    assert 'src="/static/till.js"' in html and "<script>" not in html
    # Today is the day a unit registered now is sold on: read from the data, not the clock.
    post_unit(till, gtin=GTIN[1:], serial="SN-1", sold_on="")
    (unit,) = units(db)
    today = unit.created_at.astimezone(AMSTERDAM).date()
    assert f'id="sold_on" name="sold_on" type="date" value="{today.isoformat()}"' in html


def test_ean_and_enter_without_javascript_asks_for_the_serial(
    till: FlaskClient, db: object
) -> None:
    response = post_unit(till, gtin=GTIN[1:], serial="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="serial"[^>]*autofocus', html)
    assert "Voorbeeld WM 8000 Eco" in html and f'value="{GTIN[1:]}"' in html
    assert units(db) == []


def test_ean_and_serial_register_the_unit_and_show_its_label(till: FlaskClient, db: object) -> None:
    response = post_unit(till, gtin=GTIN[1:], serial="SN-42", sold_on="")
    assert response.status_code == 303
    (unit,) = units(db)
    registered_on = unit.created_at.astimezone(AMSTERDAM).date()  # the shop's day, not UTC's
    assert (unit.serial, unit.sold_on, unit.labels_printed) == ("SN-42", registered_on, 1)
    label = till.get(response.headers["Location"])
    html = label.get_data(as_text=True)
    assert f'data-uri="http://localhost/01/{GTIN}/21/SN-42"' in html
    assert "Scan voor onderhoudstips en herinneringen" in html
    assert "<svg" in html and "label-62mm" in html
    small = till.get(response.headers["Location"] + "?layout=29x90mm")
    assert "label-29x90mm" in small.get_data(as_text=True)
    pdf = till.get(f"/retailer/units/{unit.id}/label.pdf?layout=29x90mm")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_a_serial_with_a_slash_gets_its_own_label(till: FlaskClient, db: object) -> None:
    response = post_unit(till, gtin=GTIN, serial="SN/0001", sold_on="")
    assert response.status_code == 303
    (unit,) = units(db)
    assert unit.serial == "SN/0001"
    html = till.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-uri="http://localhost/01/{GTIN}/21/SN%2F0001"' in html


def test_a_refused_serial_says_what_to_do_at_the_till(till: FlaskClient, db: object) -> None:
    response = post_unit(till, headers=ENGLISH, gtin=GTIN, serial="SN#1", sold_on="")
    assert response.status_code == 422
    page = html_text.unescape(response.get_data(as_text=True))
    assert "contains '#'" in page and "tick the box below to issue a code" in page
    assert units(db) == []


def test_no_serial_issues_a_unit_code(till: FlaskClient, db: object) -> None:
    response = post_unit(till, gtin=GTIN, serial="", no_serial="1")
    assert response.status_code == 303
    (unit,) = units(db)
    assert unit.serial is None and unit.unit_code


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gtin": UNKNOWN_GTIN, "serial": "SN1"}, "no appliance model"),
        ({"gtin": UNKNOWN_GTIN, "serial": ""}, "No appliance model with this EAN"),
        ({"gtin": GTIN[:-1] + "0" if GTIN[-1] != "0" else GTIN[:-1] + "1"}, "check digit"),
        ({"gtin": GTIN, "serial": "two words"}, "space"),
        ({"gtin": GTIN, "serial": "SN1", "sold_on": "2999-01-01"}, "in the future"),
        ({"gtin": "", "serial": "SN1"}, "Scan or type the EAN"),
    ],
)
def test_mistakes_are_shown_beside_the_field_and_nothing_is_created(
    till: FlaskClient, db: object, fields: dict[str, str], message: str
) -> None:
    response = post_unit(till, headers=ENGLISH, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert units(db) == []


def test_reprint_and_void_from_the_recent_list(till: FlaskClient, db: object) -> None:
    post_unit(till, gtin=GTIN, serial="SN1")
    (unit,) = units(db)
    html = till.get("/retailer/").get_data(as_text=True)
    assert "S/N SN1" in html
    token = csrf_token(till, "/retailer/")
    reprint = till.post(f"/retailer/units/{unit.id}/reprint", data={"csrf_token": token})
    assert reprint.status_code == 303 and reprint.headers["Location"].endswith("/label")
    assert units(db)[0].labels_printed == 2
    # Without the CSRF token nothing happens.
    assert till.post(f"/retailer/units/{unit.id}/void").status_code == 400
    assert units(db)[0].voided_at is None
    voided = till.post(f"/retailer/units/{unit.id}/void", data={"csrf_token": token})
    assert voided.status_code == 303
    assert units(db)[0].voided_at is not None
    assert till.get(f"/01/{GTIN}/21/SN1").status_code == 410


def test_another_shops_unit_is_404_for_every_action(
    till: FlaskClient, db: object, app: object, make_user: object
) -> None:
    post_unit(till, gtin=GTIN, serial="SN1")
    (unit,) = units(db)
    other = app.test_client()
    user = make_user(role="retailer", organisation="Shop B")
    token = csrf_token(other, "/login")
    other.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    token = csrf_token(other, "/retailer/")
    assert other.get(f"/retailer/units/{unit.id}/label").status_code == 404
    assert other.get(f"/retailer/units/{unit.id}/label.pdf").status_code == 404
    for action in ("reprint", "void"):
        response = other.post(f"/retailer/units/{unit.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    assert "S/N SN1" not in other.get("/retailer/").get_data(as_text=True)
    assert units(db)[0].voided_at is None and units(db)[0].labels_printed == 1


def test_manufacturers_and_visitors_cannot_use_the_till(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    assert client.get("/retailer/").status_code == 302  # to the login page
    login(make_user(role="manufacturer"))
    assert client.get("/retailer/").status_code == 403


def upload(
    client: FlaskClient, text: str, headers: dict[str, str] | None = None, **fields: str
) -> object:
    data = {
        "csrf_token": csrf_token(client, "/retailer/batch"),
        "file": (io.BytesIO(text.encode()), "units.csv"),
        "layout": "a4-3x8",
        "start_at": "3",
        **fields,
    }
    return client.post(
        "/retailer/batch", data=data, content_type="multipart/form-data", headers=headers
    )


def test_a_csv_batch_gives_one_pdf(till: FlaskClient, db: object) -> None:
    response = upload(till, f"gtin,serial,sold_on\n{GTIN},B1,2025-01-02\n{GTIN},,\n")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert [(u.serial, u.labels_printed) for u in units(db)] == [("B1", 1), (None, 1)]


def test_a_csv_batch_with_bad_rows_lists_them_and_creates_nothing(
    till: FlaskClient, db: object
) -> None:
    text = f"gtin,serial,sold_on\n{GTIN},B1,\n{UNKNOWN_GTIN},B2,\n{GTIN},B 3,\n"
    response = upload(till, text, headers=ENGLISH)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 3:" in html and "Line 4:" in html and "Line 2:" not in html
    assert units(db) == []
    too_far = upload(till, f"gtin,serial,sold_on\n{GTIN},B1,\n", headers=ENGLISH, start_at="25")
    assert too_far.status_code == 422 and "from 1 to 24" in too_far.get_data(as_text=True)
    assert units(db) == []
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


@pytest.mark.parametrize(
    ("fields", "dutch", "english"),
    [
        ({"gtin": UNKNOWN_GTIN, "serial": "SN1"}, "nog geen apparaatmodel", "no appliance model"),
        ({"gtin": GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)}, "controlecijfer", "check digit"),
        ({"gtin": GTIN, "serial": "two words"}, "bevat een spatie", "contains a space"),
        ({"gtin": GTIN, "serial": "SN\uff21"}, "dat lijkt op 'A'", "which looks like"),
        ({"gtin": GTIN, "serial": "SN1", "sold_on": "2999-01-01"}, "in de toekomst", "future"),
    ],
)
def test_a_dutch_till_explains_mistakes_in_dutch(
    till: FlaskClient, db: object, fields: dict[str, str], dutch: str, english: str
) -> None:
    response = post_unit(till, headers={"Accept-Language": "nl"}, **fields)
    assert response.status_code == 422
    page = html_text.unescape(response.get_data(as_text=True))
    assert dutch in page and english not in page
    assert units(db) == []


def test_a_dutch_batch_upload_lists_bad_rows_in_dutch(till: FlaskClient, db: object) -> None:
    text = f"gtin,serial,sold_on\n{GTIN},B1,\n{UNKNOWN_GTIN},B2,\n{GTIN},B1,gisteren\n"
    response = upload(till, text, headers={"Accept-Language": "nl"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Regel 3: er is nog geen apparaatmodel met EAN" in html
    assert "Regel 4: &#39;gisteren&#39; is geen datum" in html
    assert "no appliance model" not in html
    assert units(db) == []


def test_the_label_layouts_are_described_in_the_pages_language(till: FlaskClient) -> None:
    dutch = till.get("/retailer/batch", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "A4-vel met 24 labels" in dutch and "Doorlopende thermische rol" in dutch
    english = till.get("/retailer/batch", headers=ENGLISH).get_data(as_text=True)
    assert "A4 sheet of 24 labels" in english and "continuous thermal roll" in english
