"""Demo data for a fresh install: the library, organisations and their staff, partners, units."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from maintenance.clock import now_utc
from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, Unit
from maintenance.services.accounts import (
    create_user,
    find_user_by_email,
    get_or_create_organisation,
)
from maintenance.services.gs1_prefixes import prefixes_of, set_prefixes
from maintenance.services.identifiers import gtin_check_digit, new_unit_code, unit_uri
from maintenance.services.partners.profiles import approve_partner, profile_named, register_partner
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import publish_protocol

DEMO_PASSWORD = "demo-password"
MANUFACTURER = "Voorbeeld Apparaten B.V."
RETAILER = "Elektro Centrum Utrecht"
COORDINATOR = "Lang Leve Elektronica"
PARTNER = "Witgoed & Warmte Service Utrecht"
REPAIR_CAFE = "Repair Café Utrecht Oost"
DEMO_USERS = (
    ("fabrikant@example.com", "manufacturer", MANUFACTURER),
    ("winkel@example.com", "retailer", RETAILER),
    ("admin@example.com", "admin", COORDINATOR),
    ("partner@example.com", "partner", PARTNER),
)
# (GTIN body without check digit, brand, model name, category)
DEMO_MODELS = (
    ("871234500001", "Voorbeeld", "WM 8000 Eco", "washing-machine"),
    ("871234500002", "Voorbeeld", "VW 600 Stil", "dishwasher"),
    ("871234500003", "Voorbeeld", "KV 300 NoFrost", "fridge-freezer"),
    ("871234500004", "Voorbeeld", "Barista 2", "coffee-machine"),
    ("871234500005", "Voorbeeld", "WP 8 Lucht", "heat-pump"),
)
# Around Utrecht (postcodes 3400-3599): a service partner with staff and an inbox, authorised for
# the demo brand, and a repair café booked on its own website.
DEMO_PARTNERS: dict[str, dict[str, Any]] = {
    PARTNER: {
        "areas": ["3400-3599"],
        "categories": ["washing-machine", "dishwasher", "fridge-freezer", "heat-pump"],
        "brands": ["Voorbeeld"],
        "email": "planning@example.com",
    },
    REPAIR_CAFE: {
        "areas": ["3500-3599"],
        "categories": ["coffee-machine", "washing-machine", "dishwasher", "vacuum-cleaner"],
        "booking_mode": "url",
        "booking_url": "https://www.repaircafe.org/",
        "repair_cafe": True,
        "opening_days": "elke eerste zaterdag van de maand, 13-16 uur",
        "free": True,
    },
}


# The demo manufacturer's GS1 company prefix: every demo GTIN lies under it.
DEMO_PREFIX = "8712345"


def demo_gtin(body: str) -> str:
    """A valid GTIN-14 from a 12-digit GTIN-13 body."""
    return f"0{body}{gtin_check_digit(body)}"


def import_library(library: Path) -> list[str]:
    """Publish every shipped category default (unchanged files add no version)."""
    lines = []
    for path in sorted(library.glob("*.yaml")):
        result = publish_protocol(load_protocol(path.read_bytes(), filename=str(path)))
        if result.created:
            lines.append(f"library: {path.stem} v{result.version.number}")
    return lines


@transactional
def _demo_catalogue() -> list[Unit]:
    maker = get_or_create_organisation(MANUFACTURER, "manufacturer")
    shop = get_or_create_organisation(RETAILER, "retailer")
    if not prefixes_of(maker):  # so the demo manufacturer can upload protocols for new models
        set_prefixes(maker, [DEMO_PREFIX])
    units = []
    for position, (body, brand, name, category) in enumerate(DEMO_MODELS):
        gtin = demo_gtin(body)
        row = db.session.get(ModelGtin, gtin)
        if row is None:
            model = ProductModel(organisation=maker, brand=brand, name=name, category=category)
            model.gtins.append(ModelGtin(gtin=gtin))
            db.session.add(model)
        else:
            model = row.product_model
        serial = f"DEMO{position + 1:04d}"
        unit = db.session.scalar(select(Unit).where(Unit.gtin == gtin, Unit.serial == serial))
        if unit is None:
            unit = Unit(
                gtin=gtin,
                serial=serial,
                product_model=model,
                retailer=shop,
                sold_on=date.today() - timedelta(days=40 * position),
            )
            db.session.add(unit)
            db.session.add(
                Unit(gtin=gtin, unit_code=new_unit_code(), product_model=model, retailer=shop)
            )
        units.append(unit)
    return units


def _demo_partners() -> None:
    """Register and approve the demo partners (kept as they are when they exist)."""
    for name, details in DEMO_PARTNERS.items():
        profile = profile_named(name) or register_partner(name, **details)
        approve_partner(profile, now_utc())


def load_demo(library: Path) -> Iterator[str]:
    """Load everything; safe to run again (existing rows are kept)."""
    yield from import_library(library)
    _demo_partners()
    for email, role, organisation in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(email, role, organisation, DEMO_PASSWORD)
    units = _demo_catalogue()
    base = current_app.config["BASE_URL"]
    yield ""
    yield f"Demo logins (password: {DEMO_PASSWORD}) at {base}/login:"
    for email, role, _ in DEMO_USERS:
        yield f"  {role:13} {email}"
    yield "Demo units (open one as if you scanned its QR code):"
    for unit in units:
        model = unit.product_model
        yield f"  {model.brand} {model.name}: {unit_uri(base, unit.gtin, serial=unit.serial)}"
