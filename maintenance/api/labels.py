"""POST /api/v1/labels: one PDF of labels for the caller's units, in a label layout."""

from __future__ import annotations

from flask import Response

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.api.units import read_json_object
from maintenance.services.labels.sheets import LAYOUTS
from maintenance.services.units.batch import MAX_BATCH_ROWS
from maintenance.services.units.errors import UnitError, UnitNotFound
from maintenance.services.units.find import get_units_for
from maintenance.services.units.printing import print_labels
from maintenance.web.errors import ApiError


def _invalid(path: str, message: str) -> ApiError:
    return ApiError(422, "the request has errors", [{"path": path, "message": message}])


@api.post("/labels")
@token_required("retailer")
def print_labels_api() -> Response:
    """The PDF with one label per unit id, in order; start_at skips used labels on a sheet."""
    body = read_json_object(
        {"units": list, "layout": str, "start_at": int}, required=("units", "layout")
    )
    ids = body["units"]
    if not ids:
        raise _invalid("units", "give at least one unit id")
    if len(ids) > MAX_BATCH_ROWS:
        raise _invalid("units", f"at most {MAX_BATCH_ROWS} labels per request")
    for index, value in enumerate(ids):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(f"units[{index}]", "must be a unit id (a whole number)")
    layout = LAYOUTS.get(body["layout"])
    if layout is None:
        raise _invalid("layout", f"must be one of {', '.join(LAYOUTS)}")
    start_at = body.get("start_at", 1) if body.get("start_at") is not None else 1
    if not 1 <= start_at <= layout.per_page:
        raise _invalid("start_at", f"must be from 1 to {layout.per_page} for {layout.name}")
    try:
        units = get_units_for(api_user(), ids)
    except UnitNotFound as exc:
        raise ApiError(404, f"there is no unit {exc.args[0]}") from None
    try:
        pdf = print_labels(units, layout.name, start_at, user=api_user())
    except UnitError as exc:
        raise _invalid("units", str(exc)) from None
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="labels-{layout.name}.pdf"'},
    )
