"""An organisation's integrations page: its webhook (URL, secret, last status) and, for a shop,
the URL pattern of its consumables. For the organisation's staff and for admins."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from maintenance.extensions import db
from maintenance.models import Organisation
from maintenance.services.product_links import LinksInvalid, set_supplies_pattern
from maintenance.services.webhooks import events_for
from maintenance.services.webhooks.endpoints import (
    endpoint_of,
    remove_endpoint,
    rotate_secret,
    set_endpoint,
)
from maintenance.services.webhooks.urls import WebhookUrlError
from maintenance.web.access import role_required

bp = Blueprint("organisation", __name__, url_prefix="/organisation")
STAFF = ("manufacturer", "retailer", "partner")


def _organisation(organisation_id: int) -> Organisation:
    """The organisation if the user is its staff or an admin; 404 otherwise (ids do not leak)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not (
        current_user.is_admin or current_user.organisation_id == organisation.id
    ):
        abort(404)
    return organisation


def _page(
    organisation: Organisation,
    secret: str | None = None,
    error: str | None = None,
    supplies_error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "organisation/integrations.html",
        organisation=organisation,
        endpoint=endpoint_of(organisation.id),
        events=events_for(organisation),
        secret=secret,
        error=error,
        supplies_error=supplies_error,
        url=request.form.get("url", ""),
    ), status


@bp.get("/")
@role_required(*STAFF)
def index() -> Response | str:
    """Staff go to their own organisation's page; admins choose one."""
    if not current_user.is_admin:
        return redirect(
            url_for("organisation.integrations", organisation_id=current_user.organisation_id)
        )
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.kind.in_(STAFF)).order_by(Organisation.name)
    )
    return render_template("organisation/index.html", organisations=list(organisations))


@bp.get("/<int:organisation_id>")
@role_required(*STAFF)
def integrations(organisation_id: int) -> tuple[str, int]:
    """The webhook and (for a shop) the consumables pattern."""
    return _page(_organisation(organisation_id))


@bp.post("/<int:organisation_id>/webhook")
@role_required(*STAFF)
def save_webhook(organisation_id: int) -> tuple[str, int]:
    """Save the webhook URL; a new webhook's secret is shown on the page this once."""
    organisation = _organisation(organisation_id)
    try:
        saved = set_endpoint(organisation, request.form.get("url", ""))
    except WebhookUrlError as exc:
        return _page(organisation, error=str(exc), status=422)
    flash(_("Webhook saved."), "ok")
    return _page(organisation, secret=saved.secret)


@bp.post("/<int:organisation_id>/webhook/rotate")
@role_required(*STAFF)
def rotate(organisation_id: int) -> tuple[str, int]:
    """Make a new signing secret and show it this once; the old one stops working at once."""
    organisation = _organisation(organisation_id)
    endpoint = endpoint_of(organisation.id)
    if endpoint is None:
        abort(404)
    return _page(organisation, secret=rotate_secret(endpoint))


@bp.post("/<int:organisation_id>/webhook/remove")
@role_required(*STAFF)
def remove(organisation_id: int) -> Response:
    """Stop sending events: the webhook and its undelivered events go."""
    organisation = _organisation(organisation_id)
    endpoint = endpoint_of(organisation.id)
    if endpoint is not None:
        remove_endpoint(endpoint)
        flash(_("Webhook removed."), "ok")
    return redirect(url_for("organisation.integrations", organisation_id=organisation.id))


@bp.post("/<int:organisation_id>/supplies")
@role_required("retailer")
def save_supplies(organisation_id: int) -> Response | tuple[str, int]:
    """Save the shop's URL pattern for consumables (with {gtin}); empty removes it."""
    organisation = _organisation(organisation_id)
    if organisation.kind != "retailer":
        abort(404)
    try:
        set_supplies_pattern(organisation, request.form.get("pattern"))
    except LinksInvalid as exc:
        return _page(organisation, supplies_error=str(exc), status=422)
    flash(_("Shop link saved."), "ok")
    return redirect(url_for("organisation.integrations", organisation_id=organisation.id))
