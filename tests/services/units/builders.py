"""Builders for unit tests: product models with GTINs, and retailers."""

from __future__ import annotations

from maintenance.extensions import db
from maintenance.models import ModelGtin, Organisation, ProductModel
from maintenance.services.accounts import get_or_create_organisation
from tests.builders import gtin as make_gtin

GTIN = make_gtin("871234500010")
OTHER_GTIN = make_gtin("871234500027")
UNKNOWN_GTIN = make_gtin("871234500034")


def make_model(
    *,
    gtin: str = GTIN,
    brand: str = "Voorbeeld",
    name: str = "WM 8000 Eco",
    category: str = "washing-machine",
    manufacturer: str = "Voorbeeld Apparaten B.V.",
) -> ProductModel:
    """A product model with one GTIN-14, committed."""
    maker = get_or_create_organisation(manufacturer, "manufacturer")
    model = ProductModel(organisation=maker, brand=brand, name=name, category=category)
    model.gtins.append(ModelGtin(gtin=gtin))
    db.session.add(model)
    db.session.commit()
    return model


def make_shop(name: str = "Elektro Centrum", language: str = "nl") -> Organisation:
    """A retailer organisation in a language, committed."""
    shop = get_or_create_organisation(name, "retailer")
    shop.language = language
    db.session.commit()
    return shop
