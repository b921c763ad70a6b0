"""Forged, tampered and expired signed links are 403 and change nothing; every form needs CSRF."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from maintenance.extensions import db as _db
from maintenance.models import MaintenanceLog, Owner, Reminder, TaskSchedule, Unit
from maintenance.services.reminders.links import make_short_token, make_token
from maintenance.services.reminders.materialise import materialise_due
from maintenance.web.visitors import OWNER_SESSION_KEY, STAFF_SESSION_KEY
from tests.builders import GTIN, make_model, make_owner, make_planned_unit, own, set_due
from tests.conftest import csrf_token

TODAY = date(2025, 3, 10)
NOW = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
EN = {"Accept-Language": "en"}


@pytest.fixture
def reminder(db: object) -> Reminder:
    """A pending reminder for one due task of a verified owner."""
    owner = make_owner()
    unit = make_planned_unit(TODAY)
    own(owner, unit)
    set_due(unit, clean_filter=TODAY)
    materialise_due(NOW)
    return db.session.scalar(select(Reminder))


def state() -> tuple[int, list[tuple[date | None, date | None]], list[bool]]:
    """What the links could change: logged tasks, due and snooze dates, paused owners."""
    _db.session.expire_all()
    logs = _db.session.scalar(select(func.count()).select_from(MaintenanceLog))
    schedules = _db.session.execute(
        select(TaskSchedule.next_due, TaskSchedule.snoozed_until).order_by(TaskSchedule.id)
    )
    paused = _db.session.scalars(select(Owner.paused).order_by(Owner.id))
    return logs, [tuple(row) for row in schedules], list(paused)


# Long before any run of the suite, and far more than DEFAULT_MAX_AGE_DAYS before it.
ISSUED_LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class PastSigner(TimestampSigner):
    """Signs as if it were long past the links' lifetime ago: a real token from the past."""

    def get_timestamp(self) -> int:
        return int(ISSUED_LONG_AGO.timestamp())


def old_token(app: Flask, action: str, payload: dict) -> str:
    """A correctly signed token for the action, issued longer ago than links live."""
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=f"reminder-{action}", signer=PastSigner
    )
    return serializer.dumps(payload)


def tampered(token: str) -> str:
    """The token with the first character of its signature changed (the last may be padding)."""
    head, _, signature = token.rpartition(".")
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def test_a_valid_link_works(client: FlaskClient, reminder: Reminder) -> None:
    """The control for the tests below: the same request with a good token changes the task."""
    [item] = reminder.items
    token = make_token("done", {"r": reminder.id, "s": item.schedule_id})
    before = state()
    response = client.post(f"/a/done/{token}", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert state()[0] == before[0] + 1


@pytest.mark.parametrize("action", ["done", "snooze"])
@pytest.mark.parametrize("kind", ["tampered", "expired", "other-action", "garbage", "other-key"])
def test_bad_task_links_are_403_and_change_nothing(
    app: Flask, client: FlaskClient, reminder: Reminder, action: str, kind: str
) -> None:
    [item] = reminder.items
    payload = {"r": reminder.id, "s": item.schedule_id}
    token = {
        "tampered": lambda: tampered(make_token(action, payload)),
        "expired": lambda: old_token(app, action, payload),
        "other-action": lambda: make_token("steps" if action == "done" else "done", payload),
        "garbage": lambda: "eyJyIjoxLCJzIjoxfQ.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "other-key": lambda: URLSafeTimedSerializer("not-our-key", salt=f"reminder-{action}").dumps(
            payload
        ),
    }[kind]()
    before = state()
    page = client.get(f"/a/{action}/{token}", headers=EN)
    assert page.status_code == 403
    response = client.post(
        f"/a/{action}/{token}", data={"csrf_token": csrf_token(client)}, headers=EN
    )
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert ("expired" if kind == "expired" else "not valid") in text
    assert state() == before


def test_bad_unsubscribe_links_are_403_and_unsubscribe_nobody(
    app: Flask, client: FlaskClient, reminder: Reminder
) -> None:
    payload = {"o": reminder.owner_id, "c": "email"}
    before = state()
    for token in (
        tampered(make_token("unsubscribe", payload)),
        old_token(app, "unsubscribe", payload),
    ):
        # One-click unsubscribe is a bare POST from the mail client: no CSRF token, no cookie.
        assert client.post(f"/a/unsubscribe/{token}").status_code == 403
    assert state() == before
    assert client.post(f"/a/unsubscribe/{make_token('unsubscribe', payload)}").status_code == 200
    assert state()[2] == [True]


def test_bad_short_links_are_403(app: Flask, client: FlaskClient, reminder: Reminder) -> None:
    good = make_short_token(reminder.id)
    assert client.get(f"/r/{good}").status_code == 200
    old = PastSigner(app.config["SECRET_KEY"], salt="reminder-short").sign("1").decode()
    for token in (tampered(good), old, "1.abc.def", "x" * 300):
        assert client.get(f"/r/{token}").status_code == 403


# CSRF -------------------------------------------------------------------------------------------

# POST routes that must work without a CSRF token, and why.
CSRF_EXEMPT = {
    "actions.do_unsubscribe": "RFC 8058 one-click unsubscribe; the signed token authenticates",
    "notice_pages.stop": "RFC 8058 one-click stop of a notice's messages; the token authenticates",
    "partners.stop_messages": "RFC 8058 one-click stop of a request's messages; signed token",
    "partners.stop_request_emails": "RFC 8058 one-click stop of a partner's request emails",
}


def post_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, path with placeholder values) of every HTML form route."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/webhooks/")):
            continue
        with app.test_request_context():
            path = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        routes.append((rule.endpoint, path))
    return sorted(routes)


# The unit page's forms need the token only from a signed-in browser (web/visitors.py).
SIGNED_IN_ONLY = {"owner.remind", "owner.unit_done"}


def test_every_form_route_refuses_a_post_without_a_csrf_token(
    app: Flask, client: FlaskClient, db: object
) -> None:
    routes = post_routes(app)
    assert len(routes) >= 15  # the sweep found the forms, not an empty list
    assert {endpoint for endpoint, _ in routes} >= SIGNED_IN_ONLY
    for endpoint, path in routes:
        if endpoint in CSRF_EXEMPT or endpoint in SIGNED_IN_ONLY:
            continue
        response = client.post(path, data={"contact": "a@example.nl"})
        assert response.status_code == 400, (endpoint, response.status_code)


@pytest.mark.parametrize("session_key", [OWNER_SESSION_KEY, STAFF_SESSION_KEY])
def test_the_unit_page_forms_refuse_a_signed_in_post_without_a_csrf_token(
    app: Flask, client: FlaskClient, db: object, session_key: str
) -> None:
    with client.session_transaction() as session:
        session[session_key] = "1"
    for endpoint, path in post_routes(app):
        if endpoint in SIGNED_IN_ONLY:
            response = client.post(path, data={"contact": "a@example.nl"})
            assert response.status_code == 400, (endpoint, response.status_code)


def test_the_unit_page_forms_refuse_a_post_from_another_site(
    app: Flask, client: FlaskClient, db: object
) -> None:
    for endpoint, path in post_routes(app):
        if endpoint in SIGNED_IN_ONLY:
            response = client.post(
                path, data={"contact": "a@example.nl"}, headers={"Origin": "https://evil.example"}
            )
            assert response.status_code == 400, (endpoint, response.status_code)


def test_a_till_post_without_csrf_creates_no_unit(
    client: FlaskClient, db: object, make_user: object, login: object
) -> None:
    make_model()
    login(make_user(role="retailer"))
    response = client.post("/retailer/units", data={"gtin": GTIN, "serial": "SN1"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
    token = csrf_token(client, "/retailer/")
    other_session = client.application.test_client()
    forged = other_session.post(
        "/retailer/units", data={"gtin": GTIN, "serial": "SN1", "csrf_token": token}
    )
    assert forged.status_code == 400  # a token from another session is worth nothing
