"""Owner sessions and confirmations against an attacker: old cookies and links, probing the login
form, racing the code form, and the message budget per address (issue 15, items 1 to 4)."""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.extensions import limiter
from maintenance.models import Owner, Reminder, ReminderItem, TaskSchedule
from maintenance.services.owners.confirmations import MAX_CODE_ATTEMPTS
from maintenance.services.reminders.links import make_short_token, make_token
from maintenance.web.visitors import OWNER_SESSION_KEY
from tests.builders import make_unit
from tests.conftest import EN, csrf_token, remind, sign_in
from tests.fakes import code_in

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


def owner_named(email: str) -> Owner:
    owner = _db.session.scalar(select(Owner).where(Owner.email == email))
    assert owner is not None
    return owner


def delete_me(client: FlaskClient) -> None:
    token = csrf_token(client, "/me/delete")
    assert client.post("/me/delete", data={"csrf_token": token}).status_code == 303


def login_form(client: FlaskClient, contact: str, n: int = 1):
    token = csrf_token(client, "/me/login")
    return client.post(
        "/me/login",
        data={"csrf_token": token, "contact": contact},
        environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},
    )


# --- 1. an old cookie or link opens nobody else -------------------------------------------------


def test_an_old_cookie_does_not_open_the_next_person(
    app: Flask, client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    anna = app.test_client()
    sign_in(anna, mail, "anna@example.nl")
    old_cookie = anna.get_cookie("session").value
    anna_id = owner_named("anna@example.nl").id
    delete_me(anna)

    bram = app.test_client()
    sign_in(bram, mail, "bram@example.nl")
    # Ids never repeat, on SQLite too (AUTOINCREMENT): the next person gets a new one.
    assert owner_named("bram@example.nl").id > anna_id

    thief = app.test_client()
    thief.set_cookie("session", old_cookie)
    response = thief.get("/me/export")
    assert response.status_code == 302 and response.location.endswith("/me/login")
    # With a valid form token, so that only the session decides.
    token = csrf_token(thief, "/me/login")
    response = thief.post("/me/calendar", data={"csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/me/login")
    assert owner_named("bram@example.nl").calendar_token is None


def test_a_session_with_only_the_id_opens_nobody(client: FlaskClient, library, mail, db) -> None:
    make_unit()
    sign_in(client, mail, "anna@example.nl")
    assert client.get("/me/export").status_code == 200
    stranger = client.application.test_client()
    with stranger.session_transaction() as session:
        session[OWNER_SESSION_KEY] = owner_named("anna@example.nl").id
    response = stranger.get("/me/export")
    assert response.status_code == 302 and response.location.endswith("/me/login")


def _reminder_for(owner: Owner) -> Reminder:
    schedule = _db.session.scalars(select(TaskSchedule)).first()
    assert schedule is not None
    reminder = Reminder(
        dedupe_key=f"{owner.id}:email:2024-03-20:due",
        owner_id=owner.id,
        channel="email",
        send_on=date(2024, 3, 20),
        next_attempt_at=datetime(2024, 3, 20, 8, tzinfo=UTC),
        status="sent",
    )
    reminder.items.append(ReminderItem(schedule_id=schedule.id, due_on=date(2024, 3, 20)))
    _db.session.add(reminder)
    _db.session.commit()
    return reminder


def test_links_for_an_erased_person_open_nobody_after_them(
    app: Flask, client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    anna = app.test_client()
    sign_in(anna, mail, "anna@example.nl")
    reminder = _reminder_for(owner_named("anna@example.nl"))
    links = {
        "unsubscribe": "/a/unsubscribe/"
        + make_token("unsubscribe", {"o": owner_named("anna@example.nl").id, "c": "email"}),
        "short": "/r/" + make_short_token(reminder.id),
        "steps": "/a/steps/"
        + make_token("steps", {"r": reminder.id, "s": reminder.items[0].schedule_id}),
    }
    delete_me(anna)
    sign_in(app.test_client(), mail, "bram@example.nl")
    _reminder_for(owner_named("bram@example.nl"))
    for name, path in links.items():
        response = client.get(path, headers=EN)
        assert response.status_code == 403, name
        assert "bram" not in response.get_data(as_text=True)


# --- 2. the login form tells nobody who is registered -------------------------------------------


def cookie_shape(app: Flask, cookie: str) -> dict[str, object]:
    """What the session cookie holds, with each text value replaced by its length."""
    data = app.session_interface.get_signing_serializer(app).loads(cookie)

    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        return len(value) if isinstance(value, str) else value

    return shape(data)


def test_login_answers_alike_for_known_and_unknown_addresses(
    app: Flask, client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    sign_in(app.test_client(), mail, "anna@example.nl")
    app.config["LOGIN_ANSWER_SECONDS"] = 0.3
    try:
        answers = {}
        for contact in ("anna@example.nl", "nobody@example.nl"):
            visitor = app.test_client()
            csrf_token(visitor, "/me/login")
            started = time.monotonic()
            response = login_form(visitor, contact)
            took = time.monotonic() - started
            with visitor.session_transaction() as session:
                pending = dict(session["owner_pending"])
            answers[contact] = (response, took, pending, visitor.get_cookie("session").value)
    finally:
        app.config["LOGIN_ANSWER_SECONDS"] = 0.0
    (known, known_took, known_pending, known_cookie) = answers["anna@example.nl"]
    (unknown, unknown_took, unknown_pending, unknown_cookie) = answers["nobody@example.nl"]
    assert len(mail.messages) == 2  # the sign-up confirmation and anna's login link
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert known.get_data() == unknown.get_data()
    # The cookie holds a random handle of one shape, never a database id.
    assert set(known_pending) == set(unknown_pending) == {"handle", "channel"}
    assert re.fullmatch(r"[0-9a-f]{32}", known_pending["handle"])
    assert re.fullmatch(r"[0-9a-f]{32}", unknown_pending["handle"])
    assert cookie_shape(app, known_cookie) == cookie_shape(app, unknown_cookie)
    # Both wait for the same floor; sending to the real SMTP server fits well inside it.
    assert known_took >= 0.3 and unknown_took >= 0.3
    assert abs(known_took - unknown_took) < 0.15


# --- 3. the five-guess limit holds against parallel guesses -------------------------------------


def test_parallel_wrong_codes_get_at_most_five_tries(
    app: Flask, client: FlaskClient, library, sms, db
) -> None:
    make_unit()
    assert remind(client, "06 12345678").status_code == 303
    code = code_in(sms.messages[-1]["body"])
    wrong = "000000" if code != "000000" else "111111"
    token = csrf_token(client, "/me/check")
    cookie = client.get_cookie("session").value

    def guess(n: int) -> str:
        guesser = app.test_client()
        guesser.set_cookie("session", cookie)
        response = guesser.post(
            "/me/code",
            data={"csrf_token": token, "code": wrong},
            headers=EN,
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        return response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=20) as pool:
        pages = list(pool.map(guess, range(20)))
    try_again = [page for page in pages if "You can try" in page]
    assert len(try_again) <= MAX_CODE_ATTEMPTS - 1
    assert len(try_again) == MAX_CODE_ATTEMPTS - 1 or not ON_POSTGRES
    # Even the right code is refused now: the guesses used up the confirmation.
    right = client.post("/me/code", data={"csrf_token": token, "code": code}, headers=EN)
    assert right.status_code == 400 and "Too many wrong codes" in right.get_data(as_text=True)


# --- 4. one message budget per address, over both forms and all processes -----------------------


def test_sign_up_and_login_share_one_budget_per_address(
    app: Flask, client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    anna = app.test_client()
    sign_in(anna, mail, "anna@example.nl")  # message 1 this hour
    for n in range(2):  # messages 2 and 3
        limiter.reset()  # another worker, or a restart: Flask-Limiter's counts start over
        assert login_form(app.test_client(), "Anna@Example.nl ", n=n).status_code == 303
    assert len(mail.messages) == 3
    limiter.reset()
    # The login form answers as always (it tells nobody anything) but sends nothing more ...
    assert login_form(app.test_client(), "anna@example.nl", n=9).status_code == 303
    # ... and the sign-up form says why.
    blocked = remind(app.test_client(), "ANNA@example.nl")
    assert blocked.status_code == 429
    assert "enough messages to this address" in blocked.get_data(as_text=True)
    assert len(mail.messages) == 3
    assert remind(app.test_client(), "bram@example.nl").status_code == 303
    assert len(mail.messages) == 4


def test_the_budget_per_number_counts_every_spelling(
    app: Flask, client: FlaskClient, library, sms, db
) -> None:
    make_unit()
    for n, spelling in enumerate(("06 12345678", "+31612345678", "0031612345678")):
        limiter.reset()
        assert remind(app.test_client(), spelling).status_code == 303, n
    limiter.reset()
    assert remind(app.test_client(), "+31 6 1234 5678").status_code == 429
    assert len(sms.messages) == 3


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: parallel requests for one address")
def test_parallel_logins_to_one_address_stay_within_the_budget(
    app: Flask, client: FlaskClient, library, mail, db
) -> None:
    make_unit()
    sign_in(app.test_client(), mail, "anna@example.nl")

    def ask(n: int) -> int:
        return login_form(app.test_client(), "anna@example.nl", n=n).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(ask, range(10))) == {303}
    assert len(mail.messages) == 3
