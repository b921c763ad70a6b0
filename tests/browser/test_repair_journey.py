"""'Something is wrong' on a dishwasher, end to end in headless Chromium.

From the scanned unit page: a symptom, the checks an owner can safely do, "still not right",
the repair options near the owner's postcode (a repair café and a partner among them), and the
anonymous outcome "a repairer fixed it", recorded and counted in the ORDS export.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from maintenance.extensions import db as _db
from maintenance.models import ProductModel, RepairOutcome
from maintenance.services.figures.cells import MIN_PEOPLE
from maintenance.services.partners.outcomes import ords_rows, record_outcome
from maintenance.services.partners.profiles import approve_partner, register_partner
from tests.browser.fixtures import staff_login
from tests.builders import make_unit, unit_path
from tests.conftest import PASSWORD

APPROVED = datetime(2025, 1, 1, tzinfo=UTC)
CAFE = "Repair Café Lombok"
PARTNER = "Witgoed Reparatie Utrecht"


def repairers_around_utrecht() -> None:
    """A repair café and a repair shop covering Utrecht for dishwashers; one only for fridges."""
    cafe = register_partner(
        CAFE,
        areas=["3500-3599"],
        categories=["dishwasher", "coffee-machine"],
        email="lombok@repaircafe.nl",
        repair_cafe=True,
        opening_days="elke eerste zaterdag van de maand",
        free=True,
    )
    shop = register_partner(
        PARTNER,
        areas=["3400-3599"],
        categories=["dishwasher"],
        booking_mode="phone",
        phone="030 123 4567",
    )
    fridges = register_partner(
        "Koeltechniek Utrecht",
        areas=["3500-3599"],
        categories=["fridge-freezer"],
        email="info@koeltechniek.nl",
    )
    for profile in (cafe, shop, fridges):
        approve_partner(profile, APPROVED)


def earlier_outcomes(unit, count: int) -> None:
    """Other owners' outcomes for the same model, so this one is not a small count alone."""
    for _ in range(count):
        record_outcome(unit.product_model, None, "fixed-myself", date(2026, 1, 5))


def test_something_is_wrong_to_repaired_by_a_partner(
    ctx, page, live_server: str, library, make_user
) -> None:
    unit = make_unit(sold_on=date(2023, 4, 1))
    repairers_around_utrecht()
    earlier_outcomes(unit, MIN_PEOPLE - 1)
    _db.session.remove()

    page.goto(live_server + unit_path())
    section = page.locator("#something-wrong")
    symptom = section.locator("#symptom-does-not-drain")
    symptom.locator("summary").click()
    checks = symptom.locator("ol.steps li")
    assert checks.count() >= 2 and checks.first.is_visible()
    assert symptom.locator(".safety").last.is_visible()  # when to stop and call a professional
    symptom.locator('form[action="/repair"] button').click()
    page.wait_for_url("**/repair?*symptom=does-not-drain*")

    # Without a postcode: the manufacturer; with it, the repairers nearby.
    assert page.locator("li.repair-manufacturer").count() == 1
    assert page.locator("li.repair-repair-cafe").count() == 0
    page.fill("#postcode", "3512 JE")
    page.locator("form[method=get] button[type=submit]").click()
    page.wait_for_url("**postcode=3512*")
    cafe = page.locator("li.repair-repair-cafe")
    assert CAFE in cafe.inner_text() and "elke eerste zaterdag" in cafe.inner_text()
    assert "gratis" in cafe.inner_text()
    partner = page.locator("li.repair-partner")
    assert PARTNER in partner.inner_text() and "030 123 4567" in partner.inner_text()
    assert "Koeltechniek" not in page.locator("main").inner_text()

    page.check('input[name="outcome"][value="repaired-by-partner"]')
    page.locator("form[method=post] button[type=submit]").click()
    page.wait_for_url(f"**{unit_path()}")
    assert page.locator(".flash").is_visible()

    outcome = _db.session.scalar(select(RepairOutcome).order_by(RepairOutcome.id.desc()))
    assert (outcome.outcome, outcome.symptom_id) == ("repaired-by-partner", "does-not-drain")
    assert outcome.barrier is None
    rows = ords_rows()
    day = outcome.recorded_on
    # Counted: with this one the model's category reaches the small-count rule's minimum.
    assert len(rows) == MIN_PEOPLE
    mine = rows[-1]
    assert (mine["repair_status"], mine["problem"]) == ("Fixed", "does-not-drain")
    assert mine["partner_product_category"] == "dishwasher"

    # And on the coordinator's dashboard: four other owners said a repairer fixed theirs that
    # day; with this one the column shows 5 instead of "<5".
    model = _db.session.get(ProductModel, outcome.product_model_id)
    for _ in range(MIN_PEOPLE - 1):
        record_outcome(model, None, "repaired-by-partner", day)
    admin = make_user(role="admin", organisation="Lang Leve Elektronica").email
    _db.session.remove()
    staff_login(page, admin, PASSWORD)
    page.goto(f"{live_server}/dashboards/sector?from={day:%Y-%m}&to={day:%Y-%m}")
    dishwashers = page.locator("#repair-outcomes tbody tr", has_text="Vaatwasser")
    by_a_repairer = dishwashers.locator("td").nth(1).inner_text()
    assert by_a_repairer == str(MIN_PEOPLE)
