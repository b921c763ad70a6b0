"""Builders for notice tests: a manufacturer and its model, units, owners, a recall body."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, date, datetime
from typing import Any

from maintenance.extensions import db
from maintenance.models import ModelGtin, Organisation, Owner, Ownership, ProductModel, Unit, User
from maintenance.services.accounts import create_user
from tests.builders import gtin
from tests.conftest import PASSWORD

GTIN = gtin("871234588880")
OTHER_GTIN = gtin("871234588897")
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Amsterdam
VERIFIED = datetime(2024, 1, 1, tzinfo=UTC)
_numbers = itertools.count(1)

RECALL: dict[str, Any] = {
    "kind": "recall",
    "reference": "RC-2025-01",
    "gtins": [GTIN],
    "serials": {"ranges": [["SN0100", "SN0199"]]},
    "texts": {
        "en": {
            "product": "Voorbeeld WM 8000 Eco washing machine, white.",
            "sold": "Sold in the Netherlands from January to June 2024.",
            "hazard": "The door lock can fail while the drum turns: fingers can be trapped.",
            "instruction": "Unplug the machine and do not open the door while it runs.",
            "remedy": "A technician replaces the door lock at your home.",
        },
        "nl": {
            "product": "Voorbeeld WM 8000 Eco wasmachine, wit.",
            "sold": "Verkocht in Nederland van januari tot juni 2024.",
            "hazard": "Het deurslot kan falen terwijl de trommel draait: vingers raken bekneld.",
            "instruction": "Haal de stekker uit het stopcontact.",
            "remedy": "Een monteur vervangt het deurslot bij u thuis.",
        },
    },
    "remedies": ["repair"],
    "contact": {"name": "Voorbeeld Apparaten", "phone": "+31 20 123 4567"},
}


def recall_body(**changes: Any) -> dict[str, Any]:
    """A valid recall request body with some fields changed."""
    body = copy.deepcopy(RECALL)
    body.update(changes)
    return body


def version_body(update: str | None = None) -> dict[str, Any]:
    """The version fields of the recall, with "what changed" in both languages when given."""
    body = {key: copy.deepcopy(RECALL[key]) for key in ("texts", "remedies", "contact")}
    if update:
        for language in ("nl", "en"):
            body["texts"][language]["update"] = update
    return body


def make_maker(name: str = "Voorbeeld Apparaten B.V.") -> tuple[User, ProductModel]:
    """A manufacturer user and its model with GTIN, committed."""
    user = create_user(f"safety{next(_numbers)}@example.com", "manufacturer", name, PASSWORD)
    model = db.session.scalar(db.select(ProductModel).where(ProductModel.name == "WM 8000 Eco"))
    if model is None:
        model = ProductModel(
            organisation_id=user.organisation_id,
            brand="Voorbeeld",
            name="WM 8000 Eco",
            category="washing-machine",
        )
        model.gtins.append(ModelGtin(gtin=GTIN))
        db.session.add(model)
        db.session.commit()
    return user, model


def make_other_maker() -> tuple[User, ProductModel]:
    """Another manufacturer with a model of its own."""
    user = create_user("other@example.com", "manufacturer", "Ander Merk", PASSWORD)
    model = ProductModel(
        organisation_id=user.organisation_id, brand="Ander", name="X1", category="dishwasher"
    )
    model.gtins.append(ModelGtin(gtin=OTHER_GTIN))
    db.session.add(model)
    db.session.commit()
    return user, model


def make_units(model: ProductModel, *serials: str, sold_on: date | None = None) -> list[Unit]:
    """Units of the model with these serials."""
    units = [
        Unit(gtin=model.gtins[0].gtin, serial=s, product_model=model, sold_on=sold_on)
        for s in serials
    ]
    db.session.add_all(units)
    db.session.commit()
    return units


def make_owner(
    *units: Unit,
    channel: str = "email",
    language: str = "nl",
    paused: bool = False,
    suppressed: bool = False,
    verified: bool = True,
) -> Owner:
    """A consumer owning the units, reachable on the channel unless told otherwise."""
    n = next(_numbers)
    owner = Owner(
        email=f"owner{n}@example.nl" if channel == "email" else None,
        phone=f"+3161111{n:04d}" if channel == "sms" else None,
        email_verified_at=VERIFIED if verified and channel == "email" else None,
        phone_verified_at=VERIFIED if verified and channel == "sms" else None,
        channel=channel,
        language=language,
        paused=paused,
    )
    if suppressed:
        owner.email_suppressed_at = owner.phone_suppressed_at = VERIFIED
    db.session.add(owner)
    db.session.flush()
    db.session.add_all(Ownership(owner_id=owner.id, unit_id=unit.id) for unit in units)
    db.session.commit()
    return owner


def organisation(name: str) -> Organisation:
    """An organisation by name."""
    return db.session.scalar(db.select(Organisation).where(Organisation.name == name))
