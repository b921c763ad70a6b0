"""A partner reads its own figures; the coordinator reads every partner's on the sector page."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient

from tests.conftest import EN
from tests.services.figures.partner_world import PartnerWorld, build_partner_world
from tests.web.test_dashboards import cells, page, section

MARCH = "from=2026-03&to=2026-03"
# Received, accepted, declined, done, withdrawn, still open, median hours, completed, tasks.
UTRECHT_MARCH = ["10", "6", "<5", "5", "<5", "<5", "4.0", "62.5%", "5"]
# The same as Utrecht reads them itself: its own work, every request already in its inbox.
UTRECHT_OWN = ["10", "6", "2", "5", "1", "2", "4.0", "62.5%", "5"]


@pytest.fixture
def world(ctx) -> PartnerWorld:
    return build_partner_world()


def english(client: FlaskClient, url: str) -> str:
    response = client.get(url, headers=EN)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def body_rows(html: str) -> list[list[str]]:
    """The cells of every body row of one table section."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [cells(row) for row in body.split("</tr>") if "<t" in row]


def test_a_partner_reads_its_own_figures_from_the_inbox(world, make_user, login, client) -> None:
    login(make_user("partner", organisation="Utrecht Service"))
    inbox = english(client, "/partner/requests")
    assert 'href="/partner/figures"' in inbox
    html = english(client, f"/partner/figures?{MARCH}")
    assert "Figures for Utrecht Service" in html
    assert body_rows(section(html, "requests")) == [["2026-03 to 2026-03", *UTRECHT_OWN]]
    # The rival's request of unit 10, accepted after 500 hours, appears nowhere.
    assert "Rival Service" not in html and "500" not in html
    months = body_rows(
        section(english(client, "/partner/figures?from=2026-02&to=2026-03"), "requests-by-month")
    )
    assert months == [
        ["2026-02", "1", "0", "0", "0", "0", "1", "-", "-", "0"],
        ["2026-03", *UTRECHT_OWN],
    ]
    download = client.get(f"/partner/figures/requests.csv?{MARCH}", headers=EN)
    assert download.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(download.get_data(as_text=True))))[1][1:] == UTRECHT_OWN
    assert client.get("/partner/figures/nothing.csv").status_code == 404


def test_the_figures_page_is_in_dutch_by_default(world, make_user, login, client) -> None:
    login(make_user("partner", organisation="Utrecht Service"))
    html = page(client, f"/partner/figures?{MARCH}")
    assert "Cijfers voor Utrecht Service" in html and "Mediaan uren tot aannemen" in html
    assert body_rows(section(html, "requests"))[0][0] == "2026-03 t/m 2026-03"


def test_another_partner_sees_only_its_own(world, make_user, login, client) -> None:
    login(make_user("partner", organisation="Rival Service"))
    html = english(client, f"/partner/figures?{MARCH}")
    assert "Figures for Rival Service" in html and "Utrecht Service" not in html
    # Its own two requests, shown as they are; none of Utrecht's ten.
    assert body_rows(section(html, "requests")) == [
        ["2026-03 to 2026-03", "2", "1", "0", "1", "0", "1", "500.0", "100.0%", "1"]
    ]
    # Partners do not see the sector's figures (which name the other partners).
    assert client.get(f"/dashboards/sector?{MARCH}").status_code == 403
    assert client.get(f"/dashboards/sector/partner-requests.csv?{MARCH}").status_code == 403


@pytest.mark.parametrize("role", ["manufacturer", "retailer"])
def test_staff_that_are_no_partner_are_refused(world, make_user, login, client, role) -> None:
    login(make_user(role))
    assert client.get("/partner/figures").status_code == 403
    assert client.get("/partner/figures/requests.csv").status_code == 403


def test_the_coordinator_sees_every_partner_and_the_total(world, make_user, login, client) -> None:
    login(make_user("admin", organisation="Coalition"))
    html = english(client, f"/dashboards/sector?{MARCH}")
    assert body_rows(section(html, "partner-requests")) == [
        ["Rival Service", "<5", "<5", "0", "<5", "0", "<5", "<5", "<5", "<5"],
        ["Utrecht Service", *UTRECHT_MARCH],
        ["All partners", "12", "7", "<5", "6", "<5", "<5", "5.0", "66.7%", "6"],
    ]
    assert body_rows(section(html, "professional-tasks")) == [
        ["Dishwasher", "11", "6", "5", "54.5%"]
    ]
    assert body_rows(section(html, "repair-outcomes")) == [
        ["Dishwasher", "<5", "5", "<5", "10"],
        ["Washing machine", "<5", "0", "0", "<5"],
    ]
    download = client.get(f"/dashboards/sector/partner-requests.csv?{MARCH}", headers=EN)
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[-1] == ["All partners", "12", "7", "<5", "6", "<5", "<5", "5.0", "66.7%", "6"]
    # Nothing on it names a household: no address, no postcode.
    assert "@example.nl" not in html and "3511" not in html
