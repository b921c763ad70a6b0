"""Owner pages over HTTP: sign up, confirm, my appliances, task actions, limits, export, delete."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import Confirmation, MaintenanceLog, Owner, TaskSchedule
from tests.builders import make_unit, unit_path
from tests.conftest import EN, confirm_by_email, csrf_token, remind, sign_in
from tests.fakes import code_in

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the service's default time zone, the owners' here


def test_email_sign_up_to_my_appliances(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    response = remind(client, "anna@example.nl")
    assert response.location.endswith("/me/check")
    assert "Check your email" in client.get("/me/check", headers=EN).get_data(as_text=True)
    assert client.get("/me").location.endswith("/me/login")  # not logged in before confirming
    confirm_by_email(client, mail)
    page = client.get("/me", headers=EN).get_data(as_text=True)
    assert "Testmerk VW 100" in page
    assert "Clean the filter" in page


def test_nothing_but_the_confirmation_is_sent_before_confirming(
    client: FlaskClient, library, mail, db
) -> None:
    from maintenance.services.reminders.dispatch import dispatch_once
    from maintenance.services.reminders.materialise import materialise_due

    make_unit(sold_on=date(2023, 1, 1))  # every task is long overdue
    remind(client, "anna@example.nl")
    # Three days after the sign-up, at 10:00 for the owner: past the chosen hour (9) and outside
    # quiet hours, whatever the time the test runs at. Taken from the row, not the wall clock.
    requested = db.session.scalar(select(Confirmation.created_at))
    day = requested.astimezone(AMSTERDAM).date() + timedelta(days=3)
    later = datetime.combine(day, time(10), AMSTERDAM)
    materialise_due(later)
    dispatch_once(later)
    assert [m["To"] for m in mail.messages] == ["anna@example.nl"]

    confirm_by_email(client, mail)
    materialise_due(later)
    dispatch_once(later)
    assert len(mail.messages) == 2  # once confirmed, the overdue tasks are reminded


def test_sms_sign_up_with_a_code(client: FlaskClient, library, sms, db) -> None:
    make_unit()
    response = remind(client, "06 12345678")
    assert response.location.endswith("/me/check")
    assert "6-digit code" in client.get("/me/check", headers=EN).get_data(as_text=True)
    code = code_in(sms.messages[-1]["body"])
    token = csrf_token(client, "/me/check")
    wrong = client.post("/me/code", data={"csrf_token": token, "code": "999999"}, headers=EN)
    if code != "999999":
        assert wrong.status_code == 400
        assert "not right" in wrong.get_data(as_text=True)
    right = client.post("/me/code", data={"csrf_token": token, "code": code})
    assert right.status_code == 303
    assert "Testmerk VW 100" in client.get("/me").get_data(as_text=True)
    assert db.session.scalar(select(Owner.phone)) == "+31612345678"


def test_invalid_contact_or_missing_consent_sends_nothing(
    client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    response = remind(client, "not an address")
    assert response.status_code == 303 and response.location.endswith("#register")
    response = remind(client, "anna@example.nl", consent="")
    assert response.status_code == 303
    assert mail.messages == []
    assert db.session.scalars(select(Owner)).all() == []


def test_confirmation_requests_are_limited_per_address(
    client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    for _ in range(3):
        assert remind(client, "anna@example.nl").status_code == 303
    blocked = remind(client, "ANNA@example.nl")
    assert blocked.status_code == 429
    assert "enough messages to this address" in blocked.get_data(as_text=True)
    assert len(mail.messages) == 3
    assert remind(client, "bram@example.nl").status_code == 303


def test_confirmation_requests_are_limited_per_number(
    client: FlaskClient, library, sms, db
) -> None:
    make_unit()
    for spelling in ("06 12345678", "+31612345678", "0612345678"):
        assert remind(client, spelling).status_code == 303
    assert remind(client, "+31 6 1234 5678").status_code == 429
    assert len(sms.messages) == 3


def test_confirmation_requests_are_limited_per_ip(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    for n in range(20):
        assert remind(client, f"person{n}@example.nl").status_code == 303
    assert remind(client, "one-more@example.nl").status_code == 429
    other_ip = {"REMOTE_ADDR": "192.0.2.7"}
    token = csrf_token(client, "/me/login")
    response = client.post(
        "/me/login", data={"csrf_token": token, "contact": "x@example.nl"}, environ_base=other_ip
    )
    assert response.status_code == 303


def test_done_with_note_skip_and_snooze(client: FlaskClient, library, mail, db) -> None:
    unit = make_unit(sold_on=date(2024, 3, 1))
    sign_in(client, mail)
    page = client.get(f"/me/units/{unit.id}", headers=EN)
    assert page.status_code == 200
    token = csrf_token(client, f"/me/units/{unit.id}")
    base = f"/me/units/{unit.id}/tasks"
    client.post(f"{base}/clean-filter/done", data={"csrf_token": token, "note": "Very greasy"})
    client.post(f"{base}/clean-spray-arms/skip", data={"csrf_token": token})
    client.post(f"{base}/clean-door-seal/snooze", data={"csrf_token": token})
    logs = {log.task_key: log for log in db.session.scalars(select(MaintenanceLog))}
    assert logs["clean-filter"].action == "done" and logs["clean-filter"].note == "Very greasy"
    assert logs["clean-spray-arms"].action == "skipped"
    seal = db.session.scalar(select(TaskSchedule).where(TaskSchedule.task_key == "clean-door-seal"))
    # The owner's day the page acted on, as the done entry records it (not the host's day).
    today = logs["clean-filter"].done_on
    assert today == logs["clean-filter"].logged_at.astimezone(AMSTERDAM).date()
    assert seal.snoozed_until == today + timedelta(days=7)
    history = client.get(f"/me/units/{unit.id}", headers=EN).get_data(as_text=True)
    assert "Very greasy" in history and "skipped" in history


def test_someone_elses_unit_is_not_found(client: FlaskClient, library, mail, db) -> None:
    other = make_unit(serial="OTHER1")
    make_unit()
    sign_in(client, mail)
    assert client.get(f"/me/units/{other.id}").status_code == 404


def test_second_hand_buyer_sees_history_but_not_the_earlier_owner(app, library, mail, db) -> None:
    unit = make_unit()
    first = app.test_client()
    sign_in(first, mail, "anna@example.nl")
    token = csrf_token(first, f"/me/units/{unit.id}")
    first.post(
        f"/me/units/{unit.id}/tasks/clean-filter/done",
        data={"csrf_token": token, "note": "Anna de Vries was here"},
    )
    first.post(f"/me/units/{unit.id}/end", data={"csrf_token": token})

    buyer = app.test_client()
    sign_in(buyer, mail, "chris@example.nl", role="second-hand")
    page = buyer.get(f"/me/units/{unit.id}", headers=EN).get_data(as_text=True)
    assert "Clean the filter" in page and "done" in page  # the history came along
    assert "Anna" not in page and "anna@example.nl" not in page
    exported = buyer.get("/me/export").get_data(as_text=True)
    assert "anna" not in exported.lower()


def test_export_and_delete(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    sign_in(client, mail)
    response = client.get("/me/export")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["owner"]["email"] == "anna@example.nl"
    assert data["units"][0]["serial"] == "SN0001"

    token = csrf_token(client, "/me/delete")
    response = client.post("/me/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.scalars(select(Owner)).all() == []
    assert client.get("/me").location.endswith("/me/login")


def test_login_by_magic_link(app, library, mail, db) -> None:
    make_unit()
    sign_in(app.test_client(), mail)
    fresh = app.test_client()
    token = csrf_token(fresh, "/me/login")
    response = fresh.post("/me/login", data={"csrf_token": token, "contact": "anna@example.nl"})
    assert response.status_code == 303
    confirm_by_email(fresh, mail, button="Log in")
    assert "Testmerk" in fresh.get("/me").get_data(as_text=True)


def test_settings_are_saved(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    sign_in(client, mail)
    token = csrf_token(client, "/me/settings")
    form = {
        "csrf_token": token,
        "channel": "email",
        "language": "en",
        "hour": "18",
        "time_zone": "Europe/Brussels",
        "digest": "0",
        "paused": "1",
    }
    assert client.post("/me/settings", data=form).status_code == 303
    owner = db.session.scalar(select(Owner))
    assert (owner.preferred_hour, owner.time_zone, owner.digest, owner.paused) == (
        18,
        "Europe/Brussels",
        False,
        True,
    )
    _db.session.remove()


def test_add_a_second_unit_by_its_label_address(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    second = make_unit(serial="SN0002")
    sign_in(client, mail)
    token = csrf_token(client, "/me/add")
    response = client.post(
        "/me/add", data={"csrf_token": token, "code": f"http://localhost{unit_path('SN0002')}"}
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/me/units/{second.id}")
    page = client.get("/me").get_data(as_text=True)
    assert page.count("Testmerk VW 100") == 2


def test_pages_open_when_the_stored_time_zone_no_longer_exists(
    client: FlaskClient, library, mail, db
) -> None:
    """A zone dropped from the tz database: the pages use the default zone, as reminders do."""
    unit = make_unit()
    sign_in(client, mail)
    owner = db.session.scalar(select(Owner))
    owner.time_zone = "Mars/Olympus_Mons"
    db.session.commit()
    assert client.get("/me", headers=EN).status_code == 200
    assert client.get(f"/me/units/{unit.id}", headers=EN).status_code == 200
