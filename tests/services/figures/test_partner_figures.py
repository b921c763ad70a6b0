"""Partner figures: requests per state, time to accept, completion, tasks and repair outcomes."""

from __future__ import annotations

from datetime import date

import pytest

from maintenance.services.figures.cells import MIN_PEOPLE, Count, Median, Rate
from maintenance.services.figures.partners import (
    partner_requests_table,
    professional_tasks_table,
    repair_outcomes_table,
    request_figures,
)
from maintenance.services.figures.queries import category_name
from tests.services.figures.partner_world import (
    MARCH_END,
    MARCH_START,
    PartnerWorld,
    build_partner_world,
)

# Received, accepted, declined, done, withdrawn, still open, median hours, completed, tasks.
UTRECHT_MARCH = ["10", "6", "<5", "5", "<5", "<5", "4.0", "62.5%", "5"]
RIVAL_MARCH = ["<5", "<5", "0", "<5", "0", "<5", "<5", "<5", "<5"]


@pytest.fixture
def world(ctx) -> PartnerWorld:
    return build_partner_world()


def shown(cells: list) -> list[str]:
    return [cell if isinstance(cell, str) else cell.shown for cell in cells]


def test_a_partner_has_its_requests_counted_by_state(world) -> None:
    mine = request_figures(MARCH_START, MARCH_END, partner_id=world.partner.id)
    assert list(mine) == [()]
    figures = mine[()]
    assert shown(figures.cells()) == UTRECHT_MARCH
    # The hidden cells still hold the truth; only their display is "<5".
    hidden = (figures.declined, figures.withdrawn, figures.still_open)
    assert [cell.value for cell in hidden] == [2, 1, 2]


def test_another_partners_requests_never_count(world) -> None:
    rival = request_figures(MARCH_START, MARCH_END, partner_id=world.rival.id)[()]
    assert (rival.received.value, rival.accepted.value, rival.done.value) == (2, 1, 1)
    assert shown(rival.cells()) == RIVAL_MARCH
    # Its 500 hours and its visit would move Utrecht's median to 5.0 and its tasks to 6.
    mine = request_figures(MARCH_START, MARCH_END, partner_id=world.partner.id)[()]
    assert (mine.hours_to_accept.value, mine.tasks_done.value) == (4.0, 5)


def test_requests_count_in_the_month_they_arrived(world) -> None:
    months = request_figures(date(2026, 2, 1), MARCH_END, partner_id=world.partner.id, by="month")
    assert shown(months[("2026-02",)].cells()) == ["<5", "0", "0", "0", "0", "<5", "-", "-", "0"]
    assert shown(months[("2026-03",)].cells()) == UTRECHT_MARCH
    whole = request_figures(date(2026, 2, 1), MARCH_END, partner_id=world.partner.id)[()]
    assert whole.received.value == 11
    assert request_figures(date(2026, 4, 1), date(2026, 4, 30), partner_id=world.partner.id)[
        ()
    ].received == Count(0, 0)


def test_the_coordinator_sees_each_partner_and_all_together(world) -> None:
    table = partner_requests_table(MARCH_START, MARCH_END)
    assert table.text_rows() == [
        ["Rival Service", *RIVAL_MARCH],
        ["Utrecht Service", *UTRECHT_MARCH],
        [table.rows[-1][0], "12", "7", "<5", "6", "<5", "<5", "5.0", "66.7%", "6"],
    ]


def test_professional_tasks_through_partners_and_otherwise(world) -> None:
    table = professional_tasks_table(MARCH_START, MARCH_END)
    # Twelve easy tasks were done too: they are no professional's work and do not count.
    assert table.text_rows() == [[category_name("dishwasher"), "11", "6", "5", "54.5%"]]


def test_repair_outcomes_per_category_hide_small_counts(world) -> None:
    table = repair_outcomes_table(MARCH_START, MARCH_END)
    rows = {row[0]: row[1:] for row in table.text_rows()}
    assert rows == {
        category_name("dishwasher"): ["<5", "5", "<5", "10"],
        category_name("washing-machine"): ["<5", "0", "0", "<5"],
    }
    assert repair_outcomes_table(date(2026, 4, 1), date(2026, 4, 30)).rows == []


@pytest.mark.parametrize(("accepted", "text"), [(MIN_PEOPLE - 1, "<5"), (MIN_PEOPLE, "7.5")])
def test_a_median_over_fewer_than_five_requests_is_hidden(accepted: int, text: str) -> None:
    middle = Median(7.5, Count(accepted, accepted))
    assert middle.shown == text
    assert Rate(Count(accepted, accepted), Count(10, 10)).hidden == (text == "<5")


def test_a_request_counts_on_the_day_it_arrived_in_amsterdam(ctx) -> None:
    from datetime import UTC, datetime

    from maintenance.services.partners.profiles import approve_partner, register_partner
    from tests.builders import make_owner, make_planned_unit, make_request, own

    unit = make_planned_unit(date(2026, 3, 2))
    owner = make_owner()
    own(owner, unit)
    profile = register_partner("Late Desk", areas=["3500-3599"], email="desk@late.example")
    approve_partner(profile, datetime(2026, 3, 1, tzinfo=UTC))
    make_request(
        owner=owner,
        unit=unit,
        partner_id=profile.organisation_id,
        now=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 on 1 April in Amsterdam
    )
    months = request_figures(
        date(2026, 3, 1), date(2026, 4, 30), partner_id=profile.organisation_id, by="month"
    )
    assert {key: figures.received.value for key, figures in months.items()} == {("2026-04",): 1}
    assert request_figures(date(2026, 3, 1), date(2026, 3, 31))[()].received.value == 0
