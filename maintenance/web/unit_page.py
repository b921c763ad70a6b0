"""The page a person lands on after scanning a unit's (or model's) QR code."""

from __future__ import annotations

from flask import render_template

from maintenance.catalog import current_version_for_model
from maintenance.models import ProductModel, Unit


def render_unit(
    model: ProductModel,
    unit: Unit | None,
    gtin: str,
    serial: str | None,
    unit_code: str | None,
) -> str:
    """The unit page: the model's protocol; unit is None for a serial no shop registered."""
    version = current_version_for_model(model)
    return render_template(
        "public/unit.html",
        model=model,
        unit=unit,
        version=version,
        gtin=gtin,
        serial=serial,
        unit_code=unit_code,
    )
