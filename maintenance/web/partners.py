"""Service partners on the web: the owner finds one and asks for a visit; the partner's inbox."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import now_utc, service_today
from maintenance.extensions import csrf, db
from maintenance.models import Organisation, PartnerProfile, ServiceRequest, Unit
from maintenance.services.figures.charts import chart_for
from maintenance.services.figures.partners import partner_dashboard
from maintenance.services.owners.ownership import owned_unit
from maintenance.services.partners.matching import find_partners
from maintenance.services.partners.messages import tell_owner, tell_partner
from maintenance.services.partners.profiles import PartnerError, parse_postcode
from maintenance.services.partners.requests import (
    RequestError,
    accept_request,
    complete_request,
    create_request,
    decline_request,
    request_of,
    requests_for_partner,
    task_keys,
    task_title,
    task_titles,
)
from maintenance.services.partners.stops import (
    resolve_partner_stop,
    resolve_stop,
    set_request_emails,
    stop_owner_messages,
)
from maintenance.services.reminders.links import InvalidLink
from maintenance.web import actions
from maintenance.web.access import role_required
from maintenance.web.dashboards import period_from
from maintenance.web.owner.session import owner_required, see_other, signed_in_owner

bp = Blueprint("partners", __name__)


def _my_unit(unit_id: int, task_key: str) -> Unit:
    unit = owned_unit(signed_in_owner(), unit_id)
    if unit is None or task_key not in task_keys(unit):
        abort(404)
    return unit


@bp.get("/me/units/<int:unit_id>/tasks/<task_key>/partners")
@owner_required
def find(unit_id: int, task_key: str) -> tuple[str, int] | str:
    """Enter a postcode; see the partners that cover it for this appliance and task."""
    unit = _my_unit(unit_id, task_key)
    postcode = request.args.get("postcode", "").strip()
    return _find_page(unit, task_key, postcode)


def _find_page(
    unit: Unit, task_key: str, postcode: str, error: PartnerError | None = None
) -> tuple[str, int] | str:
    # After a refused request the list stays, with what the owner typed, so nothing is lost.
    matches, problem = [], error
    if postcode:
        try:
            matches = find_partners(unit, task_key, parse_postcode(postcode))
        except PartnerError as exc:
            problem = problem or exc
    page = render_template(
        "partners/find.html",
        unit=unit,
        task_key=task_key,
        task=task_title(unit, task_key),
        postcode=postcode,
        # The search box shows the postcode the owner asked us to remember, if any.
        remembered=signed_in_owner().postcode or "",
        matches=matches,
        error=problem,
        typed=request.form,
    )
    return (page, 422) if problem is not None else page


@bp.post("/me/units/<int:unit_id>/tasks/<task_key>/partners")
@owner_required
def ask(unit_id: int, task_key: str) -> BaseResponse | tuple[str, int] | str:
    """Send a request for a visit to the partner the owner picked, with their consent."""
    owner = signed_in_owner()
    unit = _my_unit(unit_id, task_key)
    form = request.form
    postcode = form.get("postcode", "")
    try:
        partner_id = int(form.get("partner", ""))
    except ValueError:
        return _find_page(unit, task_key, postcode, RequestError("partner", _("Pick a partner.")))
    try:
        sent = create_request(
            owner,
            unit.id,
            task_key,
            partner_id=partner_id,
            postcode=postcode,
            consent=form.get("consent") == "yes",
            now=now_utc(),
            preferred_days=form.get("preferred_days"),
            note=form.get("note"),
            remember_postcode=form.get("remember_postcode") == "yes",
        )
    except PartnerError as exc:
        return _find_page(unit, task_key, postcode, exc)
    tell_partner(sent)
    flash(
        _("Your request went to %(partner)s. You will hear from them.", partner=sent.partner.name)
    )
    return see_other(url_for("owner.unit_detail", unit_id=unit.id))


# --- the partner's inbox --------------------------------------------------------------------


def _profile() -> PartnerProfile:
    """The signed-in staff member's partner profile (403 when their organisation has none)."""
    profile = db.session.get(PartnerProfile, current_user.organisation.id)
    if profile is None:
        abort(403)
    return profile


def _partner() -> Organisation:
    """The signed-in staff member's organisation, if it is a partner (else 403)."""
    return _profile().organisation


def _inbox_page(partner: Organisation, **context: object) -> str:
    rows = requests_for_partner(partner)
    titles = task_titles(rows)
    profile = db.session.get(PartnerProfile, partner.id)
    return render_template(
        "partners/inbox.html",
        partner=partner,
        profile=profile,
        rows=rows,
        titles=titles,
        **context,
    )


@bp.get("/partner/requests")
@role_required("partner", "retailer")
def inbox() -> str:
    """The partner's service requests, open ones first."""
    return _inbox_page(_partner(), error=None, today=service_today())


def _answer(request_id: int) -> ServiceRequest:
    row = request_of(_partner(), request_id)
    if row is None:
        abort(404)
    return row


@bp.post("/partner/requests/<int:request_id>/<action>")
@role_required("partner", "retailer")
def answer(request_id: int, action: str) -> BaseResponse | tuple[str, int]:
    """Accept (with a proposed time), decline (with a reason) or mark done (date and note)."""
    row = _answer(request_id)
    now = now_utc()
    try:
        if action == "accept":
            accept_request(row, request.form.get("proposed_time", ""), now)
        elif action == "decline":
            decline_request(row, request.form.get("reason", ""), now)
        elif action == "done":
            complete_request(
                row, _day(request.form.get("done_on", "")), request.form.get("note"), now
            )
        else:
            abort(404)
    except PartnerError as exc:
        return _inbox_page(row.partner, error=exc, error_for=row.id, today=service_today()), 422
    tell_owner(row)
    flash(_("Request %(number)s: saved.", number=row.id), "ok")
    return see_other(url_for("partners.inbox"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RequestError("done_on", _("Give the date of the visit as YYYY-MM-DD.")) from None


# --- the partner's own figures ---------------------------------------------------------------


@bp.get("/partner/figures")
@role_required("partner", "retailer")
def figures() -> str:
    """The partner's requests, answers and tasks done in the chosen months."""
    partner = _partner()
    period = period_from(request.args, service_today())
    dashboard = partner_dashboard(partner.id, period.start, period.end)
    return render_template(
        "partners/figures.html",
        dashboard=dashboard,
        charts={table.key: chart_for(table) for table in dashboard.tables},
        period=period,
        query=request.query_string.decode("utf-8", "replace"),
    )


@bp.get("/partner/figures/<key>.csv")
@role_required("partner", "retailer")
def figures_csv(key: str) -> Response:
    """One of the partner's tables as CSV, as shown on the page."""
    partner = _partner()
    period = period_from(request.args, service_today())
    table = partner_dashboard(partner.id, period.start, period.end).table(key)
    if table is None:
        abort(404)
    filename = f"partner-{partner.id}-{key}-{period.first}-{period.last}.csv"
    return Response(
        table.to_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the stop link in the owner's messages ----------------------------------------------------


@bp.errorhandler(InvalidLink)
def invalid_link(error: InvalidLink) -> tuple[str, int]:
    """A forged, damaged or expired stop link: nothing changed, say so plainly."""
    message = _("This link is not valid. Please use the link from the message exactly as it is.")
    return actions.render_template("actions/invalid.html", message=message), 403


@bp.route("/sr/<token>/stop", methods=["GET", "POST"])
@csrf.exempt
def stop_messages(token: str) -> str:
    """No more messages about this request: a button, or the mail client's one-click POST."""
    row = resolve_stop(token)
    changed = stop_owner_messages(row, now_utc()) if request.method == "POST" else None
    return actions.render_template("partners/stop.html", owner=row.owner, row=row, changed=changed)


@bp.route("/sp/<token>/stop", methods=["GET", "POST"])
@csrf.exempt
def stop_request_emails(token: str) -> str:
    """No more emails about new requests: a button, or the mail client's one-click POST."""
    profile = resolve_partner_stop(token)
    changed = set_request_emails(profile, False) if request.method == "POST" else None
    with force_locale(profile.organisation.language):
        return render_template("partners/stop_emails.html", profile=profile, changed=changed)


@bp.post("/partner/requests/emails")
@role_required("partner", "retailer")
def request_emails() -> BaseResponse:
    """The inbox's switch for the emails about new requests (the inbox gets every request)."""
    profile = _profile()
    wanted = request.form.get("emails") == "on"
    if set_request_emails(profile, wanted):
        flash(_("We email you new requests again.") if wanted else _("We stopped those emails."))
    return see_other(url_for("partners.inbox"))
