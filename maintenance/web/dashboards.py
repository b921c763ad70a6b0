"""Dashboards: a manufacturer sees its own models, a retailer its own units, the coordinator all."""

# The organisation always comes from the logged-in user; only admins may pick another one.

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import service_today
from maintenance.models import Organisation, ProductModel
from maintenance.services.accounts import organisations_of_kind
from maintenance.services.figures import (
    Dashboard,
    Scope,
    manufacturer_dashboard,
    retailer_dashboard,
    sector_dashboard,
)
from maintenance.services.figures.cache import cached_dashboard
from maintenance.services.figures.charts import chart_for
from maintenance.services.figures.queries import models_of

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

KINDS = ("manufacturer", "retailer", "sector")
# Longer ranges make pages slow and tables too long to read; the export covers history.
MAX_MONTHS = 36
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Period:
    """The months chosen in the filter form, as 'YYYY-MM' and as dates."""

    first: str
    last: str
    start: date
    end: date


# Months a filter may name: the period's end (a month later) must still be a date.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _month_start(text: str) -> date | None:
    match = _MONTH.fullmatch(text or "")
    if match is None or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_from(args: dict[str, str], today: date) -> Period:
    """The ?from=YYYY-MM&to=YYYY-MM period; by default the last twelve months up to today."""
    last = _month_start(args.get("to", "")) or today.replace(day=1)
    first = _month_start(args.get("from", "")) or _add_months(last, -11)
    if first > last:
        first, last = last, first
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        first = _add_months(last, -(MAX_MONTHS - 1))
    end = _add_months(last, 1) - timedelta(days=1)
    return Period(first.strftime("%Y-%m"), last.strftime("%Y-%m"), first, end)


def _may_see_sector() -> bool:
    return current_user.is_admin or current_user.organisation.kind == "coordinator"


def _organisation(kind: str) -> Organisation | None:
    """Whose figures: the user's own organisation; an admin may choose with ?organisation=."""
    if current_user.is_admin:
        choices = organisations_of_kind(kind)
        wanted = request.args.get("organisation", type=int)
        return next((o for o in choices if o.id == wanted), choices[0] if choices else None)
    if current_user.role != kind or current_user.organisation.kind != kind:
        abort(403)
    return current_user.organisation


def _build(kind: str) -> tuple[Dashboard, Period, dict[str, object]]:
    """The dashboard of a kind for the current user and request filters."""
    period = period_from(request.args, service_today())
    context: dict[str, object] = {"models": [], "chosen": [], "organisations": []}
    if kind == "sector":
        if not _may_see_sector():
            abort(403)
        scope = Scope(period.start, period.end)
        return cached_dashboard(kind, scope, sector_dashboard), period, context
    organisation = _organisation(kind)
    if organisation is None:
        abort(404)
    if current_user.is_admin:
        context["organisations"] = organisations_of_kind(kind)
    context["organisation"] = organisation
    if kind == "manufacturer":
        models = models_of(organisation.id)
        own = {model.id for model in models}
        # Only the manufacturer's own models can be chosen; other ids are dropped silently.
        chosen = tuple(i for i in request.args.getlist("model", type=int) if i in own)
        context.update(models=models, chosen=chosen)
        scope = Scope(period.start, period.end, manufacturer_id=organisation.id, model_ids=chosen)
        return cached_dashboard(kind, scope, manufacturer_dashboard), period, context
    scope = Scope(period.start, period.end, retailer_id=organisation.id)
    return cached_dashboard(kind, scope, retailer_dashboard), period, context


@bp.get("/")
@login_required
def index() -> BaseResponse:
    """Send staff to the dashboard of their role."""
    if current_user.role in ("manufacturer", "retailer") and not current_user.is_admin:
        return redirect(url_for("dashboards.show", kind=current_user.role))
    if current_user.role == "partner":
        return redirect(url_for("partners.figures"))
    return redirect(url_for("dashboards.show", kind="sector"))


@bp.get("/<any(manufacturer, retailer, sector):kind>")
@login_required
def show(kind: str) -> str:
    """A dashboard: filters, then each table as a chart with its numbers and a CSV link."""
    dashboard, period, context = _build(kind)
    charts = {table.key: chart_for(table) for table in dashboard.tables}
    return render_template(
        "dashboards/dashboard.html",
        kind=kind,
        dashboard=dashboard,
        charts=charts,
        period=period,
        query=request.query_string.decode("utf-8", "replace"),
        staff=True,
        **context,
    )


@bp.get("/<any(manufacturer, retailer, sector):kind>/<key>.csv")
@login_required
def download(kind: str, key: str) -> Response:
    """One table as CSV, with the same filters and hidden cells as the page."""
    dashboard, period, context = _build(kind)
    table = dashboard.table(key)
    if table is None:
        abort(404)
    owner = context.get("organisation")
    prefix = f"{kind}-{owner.id}" if isinstance(owner, Organisation) else kind
    filename = f"{prefix}-{key}-{period.first}-{period.last}.csv"
    return Response(
        table.to_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def model_label(model: ProductModel) -> str:
    """How a model is named in the filter list."""
    return f"{model.brand} {model.name}"


bp.add_app_template_global(model_label, "model_label")
