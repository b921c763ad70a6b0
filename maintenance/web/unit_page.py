"""The page a person lands on after scanning a unit's (or model's) QR code."""

from __future__ import annotations

from flask import render_template, session

from maintenance.catalog import current_version_for_model
from maintenance.i18n import current_language
from maintenance.models import ProductModel, Unit
from maintenance.owners import CONSENT_TEXT_VERSION, get_owner, owned_unit
from maintenance.schedules import preview
from maintenance.units import local_today

OWNER_SESSION_KEY = "owner_id"


def render_unit(
    model: ProductModel,
    unit: Unit | None,
    gtin: str,
    serial: str | None,
    unit_code: str | None,
) -> str:
    """The unit page: tasks in the order they fall due for this unit, sign-up and "done it"."""
    version = current_version_for_model(model)
    today = local_today()
    tasks = preview(unit, version, today) if version is not None else []
    owner = get_owner(session.get(OWNER_SESSION_KEY))
    mine = owner is not None and unit is not None and owned_unit(owner, unit.id) is not None
    return render_template(
        "public/unit.html",
        model=model,
        unit=unit,
        version=version,
        tasks=tasks,
        today=today,
        gtin=gtin,
        serial=serial,
        unit_code=unit_code,
        owner=owner,
        mine=mine,
        language=current_language(),
        consent_version=CONSENT_TEXT_VERSION,
    )
