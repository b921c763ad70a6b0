"""Each step of a request reaches the other side: the partner by email, the owner by channel."""

from __future__ import annotations

from maintenance.services.partners.messages import tell_owner, tell_partner
from maintenance.services.partners.requests import accept_request, create_request, decline_request
from tests.builders import make_owner, make_planned_unit, own
from tests.services.partners.conftest import NOW, TODAY, partner


def test_the_partner_gets_an_email_and_an_sms_owner_gets_a_text(ctx, mail, sms) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(channel="sms", phone="+31612345678", language="en")
    own(owner, unit)
    profile = partner("Utrecht Service", email="desk@us.nl")
    request = create_request(
        owner,
        unit.id,
        "check-hoses",
        partner_id=profile.organisation_id,
        postcode="3511 AB",
        consent=True,
        now=NOW,
        preferred_days="Mondays",
    )
    assert tell_partner(request)
    assert mail.messages[-1]["To"] == "desk@us.nl"
    assert "Mondays" in mail.messages[-1].get_content()
    accept_request(request, "Tuesday 9:00", NOW)
    assert tell_owner(request)
    assert sms.messages[-1]["to"] == "+31612345678"
    assert (
        "Utrecht Service accepted your service request and proposes: Tuesday 9:00"
        in (sms.messages[-1]["body"])
    )


def test_the_owner_reads_the_decline_by_email_in_their_language(ctx, mail) -> None:
    unit = make_planned_unit(TODAY)
    owner = make_owner(email="anna@example.nl", language="nl")
    own(owner, unit)
    profile = partner("Utrecht Service")
    request = create_request(
        owner,
        unit.id,
        "check-hoses",
        partner_id=profile.organisation_id,
        postcode="3511 AB",
        consent=True,
        now=NOW,
    )
    decline_request(request, "Geen monteur vrij", NOW)
    assert tell_owner(request)
    assert mail.messages[-1]["To"] == "anna@example.nl"
    assert "kan je serviceverzoek niet aannemen: Geen monteur vrij" in (
        mail.messages[-1].get_content()
    )
