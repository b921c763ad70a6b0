"""Which approved partners cover a postcode for a unit's category and task, best first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import PartnerArea, PartnerProfile, ProductModel, Unit
from maintenance.services.partners.profiles import Postcode


@dataclass(frozen=True)
class Match:
    """A partner offered to an owner: whether it sold the unit, whether authorised for the brand."""

    profile: PartnerProfile
    sold_it: bool
    authorised: bool

    @property
    def name(self) -> str:
        """The partner's name."""
        return self.profile.organisation.name


def does(profile: PartnerProfile, category: str, task_key: str | None) -> bool:
    """Whether a partner does this category (and task); an empty list means any."""
    if profile.categories and category not in profile.categories:
        return False
    return task_key is None or not profile.task_ids or task_key in profile.task_ids


def find_partners(unit: Unit, task_key: str | None, postcode: Postcode) -> list[Match]:
    """Approved partners covering the postcode for the unit: its shop, then authorised, by name."""
    return partners_covering(unit.product_model, unit.retailer_id, task_key, postcode)


def partners_covering(
    model: ProductModel, retailer_id: int | None, task_key: str | None, postcode: Postcode
) -> list[Match]:
    """Approved partners covering the postcode for a model (and task, when given), best first."""
    # IN, not JOIN + DISTINCT: PostgreSQL cannot compare the profile's JSON columns.
    areas = select(PartnerArea.partner_id).where(
        PartnerArea.country == postcode.country,
        PartnerArea.first <= postcode.number,
        PartnerArea.last >= postcode.number,
    )
    covering = db.session.scalars(
        select(PartnerProfile).where(
            PartnerProfile.approved_at.is_not(None), PartnerProfile.organisation_id.in_(areas)
        )
    ).all()
    matches = [
        Match(
            profile,
            sold_it=retailer_id is not None and profile.organisation_id == retailer_id,
            authorised=model.brand in profile.brands,
        )
        for profile in covering
        if does(profile, model.category, task_key)
    ]
    return sorted(matches, key=lambda m: (not m.sold_it, not m.authorised, m.name.lower()))


def partner_for(unit: Unit, task_key: str | None, postcode: Postcode, partner_id: int) -> Match:
    """The match for one partner the owner picked; LookupError when it does not cover them."""
    for match in find_partners(unit, task_key, postcode):
        if match.profile.organisation_id == partner_id:
            return match
    raise LookupError(partner_id)
