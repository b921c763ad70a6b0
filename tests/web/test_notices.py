"""Notice pages: the manufacturer's draft, dry run and send; where owners and visitors see them."""

from __future__ import annotations

import re
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import AuditEvent, Notice, NoticeDelivery, Reminder
from maintenance.services.notices.authoring import create_notice, read_notice, send_notice
from maintenance.services.notices.links import make_token
from tests.conftest import csrf_token
from tests.services.notices.builders import (
    GTIN,
    NOW,
    make_maker,
    make_other_maker,
    make_owner,
    make_units,
    recall_body,
)

ENGLISH = {"Accept-Language": "en"}


def form_of(body: dict) -> dict[str, object]:
    """The notice form's fields for a request body."""
    form: dict[str, object] = {
        "kind": body["kind"],
        "reference": body["reference"],
        "gtins": body["gtins"],
        "serial_ranges": "\n".join(f"{a} - {b}" for a, b in body["serials"]["ranges"]),
        "remedies": body["remedies"],
    }
    for language, texts in body["texts"].items():
        for name, text in texts.items():
            form[f"{language}_{name}"] = text
    for name, value in body["contact"].items():
        form[f"contact_{name}"] = value
    return form


def sent_notice(ctx_user=None) -> Notice:
    user, _model = make_maker() if ctx_user is None else ctx_user
    notice = create_notice(read_notice(recall_body(), user), user, NOW)
    send_notice(notice, user, NOW)
    return notice


def test_a_manufacturer_drafts_sees_the_dry_run_and_sends(ctx, client, login) -> None:
    user, model = make_maker()
    a, b, _outside = make_units(model, "SN0100", "SN0101", "SN0500")
    make_owner(a)
    make_owner(b, channel="sms")
    login(user)
    form = form_of(recall_body())
    form["csrf_token"] = csrf_token(client, "/manufacturer/notices/new")
    response = client.post("/manufacturer/notices/new", data=form, headers=ENGLISH)
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=ENGLISH).get_data(as_text=True)
    assert re.search(r'data-count="units">2<', page)
    assert re.search(r'data-count="email">1<', page) and re.search(r'data-count="sms">1<', page)
    assert db.session.scalars(select(Reminder)).all() == []  # a dry run sends nothing
    notice = db.session.scalar(select(Notice))
    token = csrf_token(client, f"/manufacturer/notices/{notice.id}")
    client.post(f"/manufacturer/notices/{notice.id}/send", data={"csrf_token": token})
    assert len(db.session.scalars(select(Reminder)).all()) == 2
    page = client.get(f"/manufacturer/notices/{notice.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Owners reached (delivered)" in page and "Publish an update" in page
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["notice.create", "notice.send"]


def test_errors_are_shown_beside_their_fields_and_nothing_is_stored(ctx, client, login) -> None:
    user, _model = make_maker()
    login(user)
    body = recall_body()
    body["texts"]["nl"]["hazard"] = "Dit is een vrijwillige terugroepactie."
    form = form_of(body)
    del form["en_remedy"]
    form["csrf_token"] = csrf_token(client, "/manufacturer/notices/new")
    response = client.post("/manufacturer/notices/new", data=form, headers=ENGLISH)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="nl_hazard-error"' in page and "vrijwillig" in page
    assert 'id="en_remedy-error"' in page
    assert "Dit is een vrijwillige terugroepactie." in page  # what was typed stays
    assert db.session.scalars(select(Notice)).all() == []


def test_another_manufacturers_notice_is_not_found(ctx, client, login) -> None:
    notice = sent_notice()
    other, _model = make_other_maker()
    login(other)
    assert client.get(f"/manufacturer/notices/{notice.id}").status_code == 404
    assert client.get(f"/manufacturer/notices/{notice.id}/serials.csv").status_code == 404


def test_the_unit_page_shows_an_open_recall_at_the_top_and_only_for_affected_units(
    ctx, client: FlaskClient
) -> None:
    _user, model = make_maker()
    make_units(model, "SN0120", "SN0900", sold_on=date(2024, 2, 1))
    sent_notice()
    page = client.get(f"/01/{GTIN}/21/SN0120", headers=ENGLISH).get_data(as_text=True)
    assert page.index("Product safety recall") < page.index("<h1>WM 8000 Eco</h1>")
    assert "Stop using the product now." in page
    clear = client.get(f"/01/{GTIN}/21/SN0900", headers=ENGLISH).get_data(as_text=True)
    assert "Product safety recall" not in clear


def test_the_resolver_offers_recall_status_while_a_notice_is_open(ctx, client) -> None:
    _user, model = make_maker()
    make_units(model, "SN0130")
    assert client.get(f"/01/{GTIN}/21/SN0130?linkType=gs1:recallStatus").status_code == 404
    notice = sent_notice()
    linkset = client.get(f"/01/{GTIN}/21/SN0130?linkType=linkset").json["linkset"][0]
    [target] = linkset["https://gs1.org/voc/recallStatus"]
    assert target["href"] == f"http://localhost/recalls/{notice.id}"
    redirect = client.get(f"/01/{GTIN}/21/SN0130?linkType=gs1:recallStatus")
    assert redirect.status_code == 307
    assert redirect.headers["Location"] == f"http://localhost/recalls/{notice.id}"
    public = client.get(f"/recalls/{notice.id}", headers=ENGLISH).get_data(as_text=True)
    assert "fingers can be trapped" in public and "owner" not in public.lower().split("<main>")[1]


def test_the_owner_taps_i_have_done_this_once(ctx, client) -> None:
    _user, model = make_maker()
    [unit] = make_units(model, "SN0140")
    make_owner(unit, language="en")
    sent_notice()
    token = make_token(db.session.scalar(select(NoticeDelivery.id)))
    page = client.get(f"/n/{token}").get_data(as_text=True)
    assert "S/N SN0140" in page and "I have done this" in page
    form = {"how": "stopped", "csrf_token": csrf_token(client, f"/n/{token}/done")}
    done = client.post(f"/n/{token}/done", data=form).get_data(as_text=True)
    assert "Thank you" in done
    again = client.post(f"/n/{token}/done", data=form).get_data(as_text=True)
    assert "Nothing changed" in again
    assert client.get("/n/forged.token").status_code == 403


def test_one_click_stop_needs_no_form_token(ctx, client) -> None:
    _user, model = make_maker()
    [unit] = make_units(model, "SN0141")
    make_owner(unit, language="en")
    sent_notice()
    token = make_token(db.session.scalar(select(NoticeDelivery.id)))
    response = client.post(f"/n/{token}/stop", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "no more messages" in response.get_data(as_text=True)
    assert db.session.scalar(select(Reminder.status)) == "cancelled"


def test_my_appliances_and_the_calendar_mark_the_affected_unit(ctx, client) -> None:
    from maintenance.services.calendar_feed import build_calendar
    from maintenance.services.notices.pages import open_notices_for_owned

    _user, model = make_maker()
    [unit] = make_units(model, "SN0142")
    owner = make_owner(unit, language="en")
    notice = sent_notice()
    feed = build_calendar(owner, date(2025, 3, 4)).decode()
    assert f"UID:notice-{notice.id}-unit-{unit.id}@localhost" in feed
    assert "DTSTART;VALUE=DATE:20250304" in feed
    assert list(open_notices_for_owned(owner.id)) == [unit.id]
