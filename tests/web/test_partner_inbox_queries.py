"""The partner's inbox reads a fixed number of SQL statements however many requests it lists."""

from __future__ import annotations

from datetime import UTC, datetime

from maintenance.extensions import db
from maintenance.services.partners.profiles import approve_partner, register_partner
from tests.builders import (
    gtin,
    make_model,
    make_owner,
    make_planned_unit,
    make_request,
    make_unit,
    own,
)
from tests.web.test_unit_page_queries import statements

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ask_about(units: list, partner_id: int) -> None:
    for unit in units:
        owner = make_owner()
        own(owner, unit)
        make_request(owner=owner, unit=unit, partner_id=partner_id, now=NOW)


def test_the_inbox_does_not_read_more_per_request(ctx, client, make_user, login) -> None:
    first = make_planned_unit(NOW.date())
    profile = register_partner("Busy Desk", areas=["3500-3599"], email="desk@busy.example")
    approve_partner(profile, NOW)
    partner_id = profile.organisation_id
    login(make_user(role="partner", organisation="Busy Desk"))
    ask_about([first], partner_id)
    db.session.remove()
    client.get("/partner/requests")  # warm: the login's and the process's first reads
    with statements(db.engine) as few:
        assert client.get("/partner/requests").status_code == 200

    # Twelve more requests, about units of two models.
    other = make_model(gtin=gtin("871234500777"), name="VW 200")
    units = [make_unit() for _ in range(6)]
    units += [make_unit(gtin=other.gtins[0].gtin) for _ in range(6)]
    ask_about(units, partner_id)
    db.session.remove()
    with statements(db.engine) as many:
        page = client.get("/partner/requests").get_data(as_text=True)
    assert page.count('class="task request-') == 13
    assert len(many) == len(few), "\n".join(many)
