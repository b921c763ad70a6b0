"""A service request from the owner's consent to "done by" the partner in the unit's history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import MaintenanceLog, ServiceRequest
from maintenance.services.owners.erase import delete_owner
from maintenance.services.owners.export import export_data
from maintenance.services.partners.requests import (
    RequestError,
    accept_request,
    complete_request,
    create_request,
    decline_request,
)
from maintenance.services.schedules.plan import find_schedule
from tests.builders import make_owner
from tests.services.partners.conftest import NOW, partner


def ask(owner, unit, profile, **extra):
    fields = {
        "partner_id": profile.organisation_id,
        "postcode": "3511 AB",
        "consent": True,
        "now": NOW,
        "preferred_days": "Mondays",
        "note": "The side panel is loose",
    }
    fields.update(extra)
    return create_request(owner, unit.id, "check-hoses", **fields)


def test_a_request_shares_the_contact_only_with_consent(planned) -> None:
    unit, owner = planned
    profile = partner("Utrecht Service")
    with pytest.raises(RequestError) as error:
        ask(owner, unit, profile, consent=False)
    assert error.value.field == "consent"
    assert db.session.scalars(select(ServiceRequest)).all() == []
    request = ask(owner, unit, profile)
    assert (request.status, request.contact_email) == ("open", "anna@example.nl")
    assert (request.consent_text, request.consented_at) == ("service-request/1", NOW)


def test_a_request_is_refused_for_a_partner_that_does_not_cover_the_owner(planned) -> None:
    unit, owner = planned
    far = partner("Amsterdam Service", areas=["1000-1099"])
    with pytest.raises(RequestError) as error:
        ask(owner, unit, far)
    assert error.value.field == "partner"


def test_a_stranger_cannot_ask_for_someone_elses_appliance(planned) -> None:
    unit, _owner = planned
    stranger = make_owner(email="eve@example.nl")
    with pytest.raises(RequestError) as error:
        ask(stranger, unit, partner("Utrecht Service"))
    assert error.value.field == "unit"


def test_done_by_the_partner_advances_the_schedule_by_one_interval(planned) -> None:
    unit, owner = planned
    request = ask(owner, unit, partner("Utrecht Service"))
    due = find_schedule(unit, "check-hoses").next_due
    accept_request(request, "Tuesday 10 March, 9:00-12:00", NOW)
    assert (request.status, request.proposed_time) == ("accepted", "Tuesday 10 March, 9:00-12:00")
    visit = NOW + timedelta(days=8)
    log = complete_request(request, visit.date(), "Hoses replaced", visit)
    assert request.status == "done"
    assert (log.source, log.partner_id, log.note) == (
        "partner",
        request.partner_id,
        "Hoses replaced",
    )
    following = find_schedule(unit, "check-hoses").next_due
    # check-hoses is every six months: done on 10 March, next on 10 September.
    assert (due, following) == (date(2026, 9, 2), date(2026, 9, 10))


def test_a_declined_request_cannot_be_done_and_needs_a_reason(planned) -> None:
    unit, owner = planned
    request = ask(owner, unit, partner("Utrecht Service"))
    with pytest.raises(RequestError, match="reason"):
        decline_request(request, "  ", NOW)
    decline_request(request, "No technician free this month", NOW)
    with pytest.raises(RequestError, match="declined"):
        complete_request(request, NOW.date(), None, NOW)
    assert db.session.scalars(select(MaintenanceLog)).all() == []


def test_the_visit_date_cannot_be_in_the_future(planned) -> None:
    unit, owner = planned
    request = ask(owner, unit, partner("Utrecht Service"))
    with pytest.raises(RequestError) as error:
        complete_request(request, NOW.date() + timedelta(days=1), None, NOW)
    assert error.value.field == "done_on"


def test_just_after_midnight_in_amsterdam_the_visit_can_be_dated_today(planned) -> None:
    unit, owner = planned
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 00:30 on 3 March in Amsterdam
    request = ask(owner, unit, partner("Utrecht Service"), now=late)
    log = complete_request(request, date(2026, 3, 3), None, late)
    assert log.done_on == date(2026, 3, 3)


def test_the_export_holds_the_requests(planned) -> None:
    unit, owner = planned
    ask(owner, unit, partner("Utrecht Service"))
    exported = export_data(owner)["service_requests"]
    assert [(r["partner"], r["status"], r["note"]) for r in exported] == [
        ("Utrecht Service", "open", "The side panel is loose")
    ]


def test_delete_me_withdraws_open_requests_and_erases_the_contact(planned) -> None:
    unit, owner = planned
    profile = partner("Utrecht Service")
    done = ask(owner, unit, profile)
    complete_request(done, NOW.date(), "Done well", NOW)
    ask(owner, unit, profile, preferred_days="Fridays")
    delete_owner(owner)
    rows = db.session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)).all()
    assert [row.status for row in rows] == ["done", "withdrawn"]
    assert {(r.owner_id, r.contact_email, r.postcode, r.note) for r in rows} == {
        (None, None, None, None)
    }
    # The partner's own record of the visit stays with the unit.
    assert rows[0].done_note == "Done well"
