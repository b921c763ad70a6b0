"""Repair outcomes as owners tell them, and their export in the Open Repair Data Standard.

ORDS v0.3 as the Open Repair Alliance publishes it (the tableschema.json of openrepair/data):
one row per repair attempt, its fields and code lists.
Outcomes are stored without any owner; the export leaves out every product category with fewer than
MIN_PEOPLE outcomes, the dashboards' small-count rule, so a rare case cannot point at a person.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import ProductModel, RepairOutcome, Unit
from maintenance.services.figures.cells import MIN_PEOPLE
from maintenance.services.partners.profiles import PartnerError

# Our outcome -> ORDS repair_status.
OUTCOMES = {
    "fixed-myself": "Fixed",
    "repaired-by-partner": "Fixed",
    "not-repairable": "End of life",
}
# ORDS repair barriers (for End of life), by the value the owner's form sends.
BARRIERS = {
    "parts-unavailable": "Spare parts not available",
    "parts-too-expensive": "Spare parts too expensive",
    "cannot-open": "No way to open product",
    "no-information": "Repair information not available",
    "no-equipment": "Lack of equipment",
    "worn-out": "Too worn out",
}
ORDS_FIELDS = (
    "id",
    "data_provider",
    "country",
    "partner_product_category",
    "product_category",
    "product_category_id",
    "brand",
    "year_of_manufacture",
    "product_age",
    "repair_status",
    "repair_barrier_if_end_of_life",
    "group_identifier",
    "event_date",
    "problem",
)
DATA_PROVIDER = "Appliance maintenance"
# Our categories -> ORDS product category (id, text); ORDS v0.3 has no white goods of their own,
# so those go to its aggregate "Large home electrical", and anything else to "Misc".
LARGE = (17, "Large home electrical")
ORDS_CATEGORIES = {
    "washing-machine": LARGE,
    "tumble-dryer": LARGE,
    "washer-dryer": LARGE,
    "dishwasher": LARGE,
    "fridge-freezer": LARGE,
    "heat-pump": LARGE,
    "water-heater": LARGE,
    "air-conditioner": (1, "Aircon / dehumidifier"),
    "coffee-machine": (36, "Coffee Maker"),
    "vacuum-cleaner": (34, "Vacuum"),
}
MISC = (18, "Misc")


@transactional
def record_outcome(
    model: ProductModel,
    unit: Unit | None,
    outcome: str,
    today: date,
    *,
    barrier: str | None = None,
    symptom_id: str | None = None,
) -> RepairOutcome:
    """Store how a repair ended; "not repairable" needs the barrier, the others have none."""
    if outcome not in OUTCOMES:
        raise PartnerError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    if outcome == "not-repairable" and barrier not in BARRIERS:
        raise PartnerError("barrier", _("say why it could not be repaired"))
    row = RepairOutcome(
        product_model_id=model.id,
        unit_id=unit.id if unit is not None else None,
        outcome=outcome,
        barrier=barrier if outcome == "not-repairable" else None,
        symptom_id=symptom_id,
        recorded_on=today,
    )
    db.session.add(row)
    db.session.flush()
    return row


def ords_rows(country: str = "NLD") -> list[dict[str, str]]:
    """Every outcome of a category with at least MIN_PEOPLE outcomes, in ORDS fields."""
    rows = db.session.execute(
        select(RepairOutcome, ProductModel, Unit)
        .join(ProductModel, ProductModel.id == RepairOutcome.product_model_id)
        .outerjoin(Unit, Unit.id == RepairOutcome.unit_id)
        .order_by(RepairOutcome.id)
    ).all()
    sizes = Counter(model.category for _outcome, model, _unit in rows)
    out = []
    for outcome, model, unit in rows:
        if sizes[model.category] < MIN_PEOPLE:
            continue
        category_id, category = ORDS_CATEGORIES.get(model.category, MISC)
        age = ""
        if unit is not None and unit.sold_on is not None:
            age = f"{(outcome.recorded_on - unit.sold_on).days / 365.25:.1f}"
        out.append(
            {
                "id": f"am-{outcome.id}",
                "data_provider": DATA_PROVIDER,
                "country": country,
                "partner_product_category": model.category,
                "product_category": category,
                "product_category_id": str(category_id),
                "brand": model.brand,
                "year_of_manufacture": "",
                "product_age": age,
                "repair_status": OUTCOMES[outcome.outcome],
                "repair_barrier_if_end_of_life": BARRIERS.get(outcome.barrier or "", ""),
                "group_identifier": DATA_PROVIDER,
                "event_date": outcome.recorded_on.isoformat(),
                "problem": outcome.symptom_id or "",
            }
        )
    return out


def ords_csv(country: str = "NLD") -> str:
    """The ORDS export as CSV text with the standard's header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ORDS_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ords_rows(country))
    return buffer.getvalue()
