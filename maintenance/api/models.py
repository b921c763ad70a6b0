"""/api/v1/models: a manufacturer's product models, with their protocol and links."""

from __future__ import annotations

from typing import Any

from flask import request

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.api.pagination import page_json, read_page
from maintenance.models import ProductModel
from maintenance.services.catalog import current_version_for_model
from maintenance.services.identifiers import IdentifierError, normalize_gtin
from maintenance.services.lookups import models_page, own_model
from maintenance.services.product_links import (
    LinksInvalid,
    document_links,
    model_links,
    set_model_links,
)
from maintenance.web.errors import ApiError


def model_json(model: ProductModel) -> dict[str, Any]:
    """A model: its GTINs, names, the protocol version in force and its links."""
    version = current_version_for_model(model)
    return {
        "gtins": sorted(gtin.gtin for gtin in model.gtins),
        "brand": model.brand,
        "name": model.name,
        "category": model.category,
        "protocol": None
        if version is None
        else {"id": version.protocol_id, "version": version.number},
        "links": model_links(model.id, document_links(version.document if version else None)),
    }


def _model_or_404(gtin: str) -> ProductModel:
    try:
        model = own_model(api_user(), normalize_gtin(gtin))
    except IdentifierError:
        model = None
    if model is None:
        raise ApiError(404, f"there is no model with GTIN {gtin}")
    return model


@api.get("/models")
@token_required("manufacturer")
def list_models() -> dict:
    """The caller's models, newest first, a page at a time."""
    limit, cursor = read_page()
    return page_json(models_page(api_user(), limit + 1, below=cursor), limit, model_json)


@api.get("/models/<gtin>")
@token_required("manufacturer")
def get_model(gtin: str) -> dict:
    """One of the caller's models by any of its GTINs."""
    return model_json(_model_or_404(gtin))


@api.put("/models/<gtin>/links")
@token_required("manufacturer")
def put_model_links(gtin: str) -> dict:
    """Set (a URL) or remove (null) the model's own links, by GS1 link type."""
    model = _model_or_404(gtin)
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            422, "the body must be a JSON object", [{"path": "", "message": "not a JSON object"}]
        )
    try:
        set_model_links(model, body)
    except LinksInvalid as exc:
        details = [{"path": key, "message": message} for key, message in exc.problems.items()]
        raise ApiError(422, "the links have errors", details) from None
    return model_json(model)
