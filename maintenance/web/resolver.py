"""GS1 Digital Link paths on BASE_URL: /01/{gtin} shows the model's maintenance protocol."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _

from maintenance.catalog import current_version_for_model, find_model_by_gtin
from maintenance.identifiers import IdentifierError, normalize_gtin
from maintenance.web.errors import ApiError
from maintenance.web.public import render_protocol

bp = Blueprint("resolver", __name__)


@bp.get("/01/<gtin>")
def model_page(gtin: str) -> str:
    """The protocol of a model (its own, or its category default)."""
    try:
        gtin14 = normalize_gtin(gtin)
    except IdentifierError as exc:
        raise ApiError(400, _("This is not a valid product code: %(reason)s", reason=exc)) from None
    model = find_model_by_gtin(gtin14)
    if model is None:
        abort(404)
    version = current_version_for_model(model)
    if version is None:
        abort(404)
    return render_protocol(version, model=model)
