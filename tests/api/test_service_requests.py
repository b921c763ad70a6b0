"""A partner's planning system reads its requests and answers them; other partners see nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from maintenance.services.partners.profiles import approve_partner, register_partner
from maintenance.services.schedules.plan import find_schedule
from tests.builders import make_owner, make_planned_unit, make_request, own

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def sent(ctx):
    unit = make_planned_unit(NOW.date())
    owner = make_owner(email="anna@example.nl")
    own(owner, unit)
    profile = register_partner("Fix It", areas=["3500-3599"], email="desk@fixit.example")
    approve_partner(profile, NOW)
    return make_request(
        owner=owner, unit=unit, partner_id=profile.organisation_id, now=NOW, note="Leaks"
    )


def test_the_partner_lists_accepts_and_completes(client, make_user, token_for, sent) -> None:
    headers = token_for(make_user(role="partner", organisation="Fix It"))
    listed = client.get("/api/v1/service-requests?status=open", headers=headers).get_json()
    assert [(r["id"], r["note"], r["contact"]["email"]) for r in listed["items"]] == [
        (sent.id, "Leaks", "anna@example.nl")
    ]
    base = f"/api/v1/service-requests/{sent.id}"
    one = client.get(base, headers=headers).get_json()
    assert (one["id"], one["status"], one["contact"]["email"]) == (
        sent.id,
        "open",
        "anna@example.nl",
    )
    accepted = client.post(f"{base}/accept", json={"proposed_time": "Friday 9:00"}, headers=headers)
    assert accepted.get_json()["status"] == "accepted"
    done = client.post(f"{base}/done", json={"done_on": "2026-01-09"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["done_on"] == "2026-01-09"
    # check-hoses is every six months from the visit.
    assert find_schedule(sent.unit, "check-hoses").next_due.isoformat() == "2026-07-09"


def test_a_bad_answer_is_located_and_changes_nothing(client, make_user, token_for, sent) -> None:
    headers = token_for(make_user(role="partner", organisation="Fix It"))
    base = f"/api/v1/service-requests/{sent.id}"
    response = client.post(f"{base}/done", json={"done_on": "9 January"}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["details"] == [
        {"path": "done_on", "message": "must be a date, YYYY-MM-DD"}
    ]
    blank = client.post(f"{base}/decline", json={"reason": " "}, headers=headers)
    assert blank.status_code == 422 and blank.get_json()["details"][0]["path"] == "reason"
    listed = client.get("/api/v1/service-requests", headers=headers).get_json()
    assert listed["items"][0]["status"] == "open"


def test_another_partner_cannot_see_or_answer(client, make_user, token_for, sent) -> None:
    register_partner("Other Fixer", areas=["1000-1099"], email="o@example.nl")
    headers = token_for(make_user(role="partner", organisation="Other Fixer"))
    assert client.get("/api/v1/service-requests", headers=headers).get_json()["items"] == []
    response = client.post(
        f"/api/v1/service-requests/{sent.id}/decline", json={"reason": "no"}, headers=headers
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/service-requests/{sent.id}", headers=headers).status_code == 404
    shop = token_for(make_user(role="retailer"))
    assert client.get("/api/v1/service-requests", headers=shop).status_code == 403
