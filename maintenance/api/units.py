"""POST /api/v1/units and GET /api/v1/units/<id>: register sold appliances from a till system."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.api.pagination import page_json, read_page
from maintenance.models import Unit
from maintenance.services.identifiers import DigitalLink, IdentifierError, normalize_gtin
from maintenance.services.lookups import units_page
from maintenance.services.units.create import create_unit, void_unit
from maintenance.services.units.errors import UnitConflict, UnitError, UnitNotFound
from maintenance.services.units.find import get_unit_for
from maintenance.services.units.printing import unit_link
from maintenance.web.errors import ApiError
from maintenance.web.resolver import qr_image_url

JSON_TYPE_NAMES = {str: "a string", int: "a whole number", list: "a list", dict: "an object"}


def read_json_object(fields: dict[str, type], required: tuple[str, ...]) -> dict[str, Any]:
    """The request's JSON object, checked strictly: 422 for unknown fields and wrong types."""
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # deeply nested JSON is not a unit request; answer 422, not 500
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            422, "the body must be a JSON object", [{"path": "", "message": "not a JSON object"}]
        )
    details = [
        {"path": name, "message": f"unknown field; the fields are {', '.join(fields)}"}
        for name in body
        if name not in fields
    ]
    details += [
        {"path": name, "message": "this field is required"}
        for name in required
        if body.get(name) is None
    ]
    for name, value in body.items():
        wanted = fields.get(name)
        if wanted is None or value is None:
            continue
        # JSON true/false are Python bools, which are ints too; never accept them as numbers.
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            details.append({"path": name, "message": f"must be {JSON_TYPE_NAMES[wanted]}"})
    if details:
        raise ApiError(422, "the request has errors", details)
    return body


def unit_json(unit: Unit) -> dict[str, Any]:
    """The API shape of a unit: its URI, identifiers and QR image URLs."""
    link = DigitalLink(unit.gtin, serial=unit.serial, unit_code=unit.unit_code)
    body: dict[str, Any] = {
        "id": unit.id,
        "uri": unit_link(unit),
        "gtin": unit.gtin,
    }
    if unit.serial is not None:
        body["serial"] = unit.serial
    else:
        body["unit_code"] = unit.unit_code
    body.update(
        {
            "brand": unit.product_model.brand,
            "model": unit.product_model.name,
            "sold_on": unit.sold_on.isoformat() if unit.sold_on else None,
            "retailer_ref": unit.retailer_ref,
            "labels_printed": unit.labels_printed,
            "voided": unit.voided_at is not None,
            "qr_svg": qr_image_url(link, "svg"),
            "qr_png": qr_image_url(link, "png"),
        }
    )
    return body


def unit_or_404(unit_id: int) -> Unit:
    """The caller's unit; another shop's is answered exactly like an unknown one."""
    try:
        return get_unit_for(api_user(), unit_id)
    except UnitNotFound:
        raise ApiError(404, f"there is no unit {unit_id}") from None


@api.post("/units")
@token_required("retailer")
def create_unit_api() -> tuple[dict, int]:
    """Register a sold appliance; 201 when new, 200 when this shop had registered it already."""
    body = read_json_object(
        {"gtin": str, "serial": str, "sold_on": str, "retailer_ref": str}, required=("gtin",)
    )
    sold_on = None
    if body.get("sold_on") is not None:
        try:
            sold_on = date.fromisoformat(body["sold_on"])
        except ValueError:
            raise ApiError(
                422,
                "the request has errors",
                [{"path": "sold_on", "message": "must be a date as YYYY-MM-DD"}],
            ) from None
    user = api_user()
    try:
        result = create_unit(
            user.organisation,
            body["gtin"],
            serial=body.get("serial"),
            sold_on=sold_on,
            retailer_ref=body.get("retailer_ref"),
            created_by=user,
        )
    except UnitConflict as exc:
        raise ApiError(409, str(exc), [{"path": exc.field or "", "message": str(exc)}]) from None
    except UnitError as exc:
        raise ApiError(
            422, "the request has errors", [{"path": exc.field or "", "message": str(exc)}]
        ) from None
    return unit_json(result.unit), 201 if result.created else 200


@api.get("/units")
@token_required("retailer")
def list_units_api() -> dict:
    """The caller's shop's units, newest first, a page at a time; gtin and serial find one."""
    limit, cursor = read_page(filters=("gtin", "serial"))
    gtin, serial = request.args.get("gtin"), request.args.get("serial")
    if gtin is not None:
        try:
            gtin = normalize_gtin(gtin)
        except IdentifierError as exc:
            details = [{"path": "gtin", "message": str(exc)}]
            raise ApiError(422, "the request has errors", details) from None
    rows = units_page(api_user().organisation_id, limit + 1, below=cursor, gtin=gtin, serial=serial)
    return page_json(rows, limit, unit_json)


@api.get("/units/<int:unit_id>")
@token_required("retailer")
def get_unit_api(unit_id: int) -> dict:
    """One of the caller's units."""
    return unit_json(unit_or_404(unit_id))


@api.post("/units/<int:unit_id>/void")
@token_required("retailer")
def void_unit_api(unit_id: int) -> dict:
    """Withdraw a unit registered by mistake; its URI then answers 410 Gone."""
    return unit_json(void_unit(unit_or_404(unit_id)))
