"""Each step of a request reaches the other side: the partner by email, the owner by channel,
as text and HTML in the reader's language, and the owner can stop them in one step."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage as MimeMessage

import pytest
from flask.testing import FlaskClient

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, Owner, ServiceRequest, Unit
from maintenance.services.partners.messages import tell_owner, tell_partner
from maintenance.services.partners.requests import (
    accept_request,
    complete_request,
    decline_request,
)
from tests.builders import make_owner, make_planned_unit, make_request, own
from tests.services.partners.conftest import NOW, TODAY, partner


def _parts(message: MimeMessage) -> tuple[str, str]:
    """The plain text and the HTML part of a received email."""
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None, "both parts must arrive"
    return plain.get_content(), html.get_content()


def _request(unit: Unit, owner: Owner, name: str = "Utrecht Service") -> ServiceRequest:
    profile = partner(name, email="desk@us.nl")
    return make_request(
        owner=owner,
        unit=unit,
        partner_id=profile.organisation_id,
        now=NOW,
        preferred_days="Mondays",
        note="Drips <under> the door",
    )


@transactional
def _speaks(name: str, language: str) -> None:
    organisation = db.session.query(Organisation).filter_by(name=name).one()
    organisation.language = language


@pytest.mark.parametrize(
    ("language", "intro", "task"),
    [
        ("nl", "Er is een nieuw serviceverzoek voor je binnengekomen", "Slangen controleren"),
        ("en", "A new service request reached you through", "Check the hoses"),
    ],
)
def test_the_partner_gets_text_and_html_in_its_language(
    ctx, mail, language: str, intro: str, task: str
) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl")
    own(owner, unit)
    request = _request(unit, owner)
    _speaks("Utrecht Service", language)

    assert tell_partner(request)

    [message] = mail.messages
    assert message["To"] == "desk@us.nl"
    assert message["Content-Language"] == language
    text, html = _parts(message)
    for part in (text, html):
        assert intro in part and task in part and "Mondays" in part
        assert "http://localhost/partner/requests" in part
    assert "Drips <under> the door" in text
    assert "Drips &lt;under&gt; the door" in html and "<under>" not in html


@pytest.mark.parametrize(
    ("language", "line", "task", "stop"),
    [
        (
            "nl",
            "Utrecht Service kan je serviceverzoek niet aannemen: Geen monteur vrij",
            "Slangen controleren",
            "Geen berichten meer over dit verzoek",
        ),
        (
            "en",
            "Utrecht Service cannot take your service request: Geen monteur vrij",
            "Check the hoses",
            "No more messages about this request",
        ),
    ],
)
def test_the_owner_reads_each_step_as_text_and_html_in_their_language(
    ctx, mail, language: str, line: str, task: str, stop: str
) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl", language=language)
    own(owner, unit)
    request = _request(unit, owner)
    decline_request(request, "Geen monteur vrij", NOW)

    assert tell_owner(request)

    [message] = mail.messages
    assert message["To"] == "anna@example.nl"
    assert message["Content-Language"] == language
    text, html = _parts(message)
    for part in (text, html):
        assert line in part and task in part and stop in part
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost/sr/") and link in text and link in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_done_date_reads_as_a_date_in_the_owners_language(ctx, mail) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl", language="nl")
    own(owner, unit)
    request = _request(unit, owner)
    complete_request(request, date(2026, 3, 2), None, NOW)

    assert tell_owner(request)

    text, html = _parts(mail.messages[-1])
    assert "heeft de taak op 2 maart 2026 als gedaan gemeld" in text
    assert "heeft de taak op 2 maart 2026 als gedaan gemeld" in html


def test_the_stop_link_stops_this_requests_messages_in_one_step(
    ctx, mail, client: FlaskClient
) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl", language="en")
    own(owner, unit)
    request = _request(unit, owner)
    accept_request(request, "Tuesday 9:00", NOW)
    assert tell_owner(request)
    path = mail.messages[-1]["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")

    # Opening the link (a mail scanner might) changes nothing; it offers the button.
    page = client.get(path).get_data(as_text=True)
    assert "Stop these messages" in page
    db.session.expire_all()
    assert db.session.get(ServiceRequest, request.id).owner_stopped_at is None

    # The mail client's one-click POST: no login, no CSRF token.
    stopped = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200
    assert "we send you no more messages about this request" in stopped.get_data(as_text=True)
    again = client.post(path).get_data(as_text=True)
    assert "You had stopped these messages already" in again

    db.session.expire_all()
    request = db.session.get(ServiceRequest, request.id)
    complete_request(request, TODAY, None, NOW)
    assert not tell_owner(request)
    assert len(mail.messages) == 1


def test_a_tampered_stop_link_changes_nothing(ctx, mail, client: FlaskClient) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl", language="en")
    own(owner, unit)
    request = _request(unit, owner)
    accept_request(request, "Tuesday 9:00", NOW)
    tell_owner(request)
    path = mail.messages[-1]["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")

    forged = client.post(path.replace("/stop", "x/stop"), headers={"Accept-Language": "en"})

    assert forged.status_code == 403 and "not valid" in forged.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceRequest, request.id).owner_stopped_at is None


def test_an_sms_owner_gets_a_text(ctx, sms) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(channel="sms", phone="+31612345678", language="en")
    own(owner, unit)
    request = _request(unit, owner)
    accept_request(request, "Tuesday 9:00", NOW)

    assert tell_owner(request)

    assert sms.messages[-1]["to"] == "+31612345678"
    assert (
        "Utrecht Service accepted your service request and proposes: Tuesday 9:00"
        in sms.messages[-1]["body"]
    )


def test_a_partner_stops_the_request_emails_in_one_step_and_turns_them_back_on(
    ctx, mail, client: FlaskClient, make_user, login
) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl")
    own(owner, unit)
    first = _request(unit, owner)
    assert tell_partner(first)
    announcement = mail.messages[-1]
    path = announcement["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    text, html = _parts(announcement)
    assert f"http://localhost{path}" in text and path in html

    # Opening the link changes nothing; the mail client's one-click POST stops them.
    assert "Stop deze e-mails" in client.get(path).get_data(as_text=True)
    assert tell_partner(first)
    stopped = client.post(path, data={"List-Unsubscribe": "One-Click"}).get_data(as_text=True)
    assert "nieuwe verzoeken worden niet meer gemaild" in stopped
    sent = len(mail.messages)
    db.session.expire_all()
    assert not tell_partner(db.session.get(ServiceRequest, first.id))
    assert len(mail.messages) == sent

    # The request itself still arrives in the inbox, where a switch turns the emails back on.
    login(make_user(role="partner", organisation="Utrecht Service"))
    inbox = client.get("/partner/requests").get_data(as_text=True)
    assert f'id="request-{first.id}"' in inbox and "Mail mij nieuwe verzoeken" in inbox
    token = inbox.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/partner/requests/emails", data={"emails": "on", "csrf_token": token})
    db.session.expire_all()
    assert tell_partner(db.session.get(ServiceRequest, first.id))
    assert len(mail.messages) == sent + 1
