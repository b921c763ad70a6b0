"""Builders for owner tests: a dishwasher model with a unit, sign-ups read from real messages."""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage as MimeMessage

from maintenance.db.transactions import transactional
from maintenance.demo.data import demo_gtin
from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, Unit
from maintenance.services.accounts import get_or_create_organisation

GTIN = demo_gtin("871234577777")


@transactional
def make_model(category: str = "dishwasher", gtin: str = GTIN) -> ProductModel:
    """A model of a test manufacturer; the library's category default applies to it."""
    row = db.session.get(ModelGtin, gtin)
    if row is not None:
        return row.product_model
    maker = get_or_create_organisation("Test Appliances", "manufacturer")
    model = ProductModel(organisation=maker, brand="Testmerk", name="VW 100", category=category)
    model.gtins.append(ModelGtin(gtin=gtin))
    db.session.add(model)
    db.session.flush()
    return model


@transactional
def make_unit(
    serial: str = "SN0001", sold_on: date | None = date(2024, 1, 10), gtin: str = GTIN
) -> Unit:
    """A unit a shop registered, with a serial number."""
    model = make_model(gtin=gtin)
    unit = Unit(gtin=gtin, serial=serial, product_model=model, sold_on=sold_on)
    db.session.add(unit)
    db.session.flush()
    return unit


def unit_path(serial: str = "SN0001", gtin: str = GTIN) -> str:
    """The unit page path (GS1 Digital Link) for a serial."""
    return f"/01/{gtin}/21/{serial}"


def link_in(message: MimeMessage) -> str:
    """The confirmation link's path in a received email."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/me/confirm/\S+)", body)
    assert match, body
    return match.group(1)


def code_in(body: str) -> str:
    """The 6-digit code in an SMS text."""
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)
