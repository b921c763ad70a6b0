"""Consumer pages: remind me, confirm, log in by link or code, my appliances, settings, export."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import local_today as clock_today
from maintenance.clock import now_utc
from maintenance.extensions import db, limiter
from maintenance.i18n import current_language
from maintenance.models import Owner, ProtocolVersion, TaskSchedule, Unit
from maintenance.services import calendar_feed
from maintenance.services.identifiers import (
    DigitalLink,
    IdentifierError,
    normalize_gtin,
    normalize_unit_code,
    parse_digital_link_path,
)
from maintenance.services.owners.confirmations import (
    ConfirmationFailed,
    TooManyMessages,
    confirm_code,
    confirm_link,
    read_link,
)
from maintenance.services.owners.contacts import OwnerError, check_role, parse_contact, parse_hour
from maintenance.services.owners.erase import delete_owner
from maintenance.services.owners.export import export_data
from maintenance.services.owners.login import get_owner, request_login
from maintenance.services.owners.ownership import (
    active_ownerships,
    add_unit,
    end_ownership,
    owned_unit,
)
from maintenance.services.owners.settings import Settings, canonical_time_zones, update_settings
from maintenance.services.owners.signup import request_signup
from maintenance.services.schedules.pace import set_pace
from maintenance.services.schedules.plan import find_schedule, upcoming
from maintenance.services.schedules.records import (
    UnknownTask,
    history,
    record_done,
    record_skip,
    snooze_task,
)
from maintenance.services.units.create import local_today, register_unit_from_scan
from maintenance.services.units.errors import UnitError
from maintenance.services.units.find import find_unit
from maintenance.web.owner import bp
from maintenance.web.visitors import OWNER_SECRET_KEY, OWNER_SESSION_KEY, anonymous_form

PENDING_SESSION_KEY = "owner_pending"
# Per IP (Flask-Limiter). The budget per address and per number is counted from the database by
# the owners service (confirmations.MESSAGE_BUDGET), over both forms and every process.
PER_IP_LIMIT = "20 per hour"
CODE_LIMIT = "30 per hour"
DONE_LIMIT = "60 per hour"
TIME_ZONES = sorted(zone for zone in canonical_time_zones() if zone.startswith("Europe/"))

P = ParamSpec("P")
R = TypeVar("R")

ip_limit = limiter.limit(PER_IP_LIMIT, methods=["POST"])


def current_owner() -> Owner | None:
    """The owner logged in with this browser, if they still exist."""
    return get_owner(session.get(OWNER_SESSION_KEY), session.get(OWNER_SECRET_KEY))


def _forget_owner() -> None:
    session.pop(OWNER_SESSION_KEY, None)
    session.pop(OWNER_SECRET_KEY, None)


def owner_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Send visitors who are not logged in to the login page."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if current_owner() is None:
            _forget_owner()
            return redirect(url_for("owner.login"))
        return view(*args, **kwargs)

    return wrapper


def _owner() -> Owner:
    owner = current_owner()
    assert owner is not None
    return owner


def _log_in(owner: Owner) -> None:
    session.pop(PENDING_SESSION_KEY, None)
    session[OWNER_SESSION_KEY] = owner.id
    session[OWNER_SECRET_KEY] = owner.session_secret
    session.permanent = True


def _today_for(owner: Owner | None) -> date:
    """Today in the owner's time zone (the default if unknown); a visitor's: the service's."""
    if owner is None:
        return local_today()
    return clock_today(owner.time_zone, now_utc())


def _see_other(target: str) -> BaseResponse:
    return redirect(target, code=303)


# --- the unit page's forms ------------------------------------------------------------------


def _scanned_unit(create: bool) -> Unit:
    """The unit named by the hidden gtin + serial/code fields of a unit page form."""
    try:
        gtin = normalize_gtin(request.form.get("gtin", ""))
        serial = request.form.get("serial") or None
        code = request.form.get("code") or None
        unit = (
            find_unit(gtin, serial=serial)
            if serial
            else find_unit(gtin, unit_code=normalize_unit_code(code or ""))
        )
    except (IdentifierError, ValueError):
        abort(400)
    if unit is None and serial and create:
        try:
            unit = register_unit_from_scan(gtin, serial)
        except UnitError:
            abort(404)
    if unit is None:
        abort(404)
    if unit.voided_at is not None:
        abort(410)
    return unit


def _form_unit_path() -> str:
    """The unit page the form came from, from its hidden fields alone."""
    try:
        gtin = normalize_gtin(request.form.get("gtin", ""))
        code = request.form.get("code")
        return DigitalLink(
            gtin,
            serial=request.form.get("serial") or None,
            unit_code=normalize_unit_code(code) if code else None,
        ).path
    except (IdentifierError, ValueError):
        return url_for("public.index")


def unit_path(unit: Unit) -> str:
    """The unit page's path (its GS1 Digital Link without the host)."""
    return DigitalLink(unit.gtin, serial=unit.serial, unit_code=unit.unit_code).path


@bp.post("/remind")
@anonymous_form
@ip_limit
def remind() -> BaseResponse | tuple[str, int]:
    """Sign up for reminders for a unit (or add it to a logged-in owner's list)."""
    owner = current_owner()
    contact = request.form.get("contact", "")
    consent = bool(request.form.get("consent"))
    # Check every field before creating a unit from a scan, so a bad form adds nothing.
    try:
        role = check_role(request.form.get("role", "owner"))
        if owner is None or contact:
            hour = parse_hour(request.form.get("hour"))
            parse_contact(contact)
            if not consent:
                raise OwnerError(_("Please tick the box to agree to receive reminders."))
    except OwnerError as exc:
        flash(str(exc), "error")
        return _see_other(_form_unit_path() + "#register")
    if owner is not None and not contact:
        unit = _scanned_unit(create=True)
        try:
            add_unit(owner, unit, now_utc(), role=role)
        except OwnerError as exc:
            flash(str(exc), "error")
            return _see_other(unit_path(unit) + "#register")
        flash(_("Added to your appliances."))
        return _see_other(url_for("owner.unit_detail", unit_id=unit.id))
    unit = _scanned_unit(create=True)
    try:
        pending = request_signup(
            contact,
            unit,
            consent=consent,
            now=now_utc(),
            role=role,
            language=request.form.get("language") or current_language(),
            preferred_hour=hour,
        )
    except TooManyMessages as exc:
        return render_template("errors/error.html", status=429, message=str(exc)), 429
    session[PENDING_SESSION_KEY] = {"handle": pending.handle, "channel": pending.channel}
    return _see_other(url_for("owner.check"))


@bp.post("/units/done")
@anonymous_form
@limiter.limit(DONE_LIMIT)
def unit_done() -> BaseResponse:
    """ "Done it" on the unit page: logs the task for this unit, without an account."""
    unit = _scanned_unit(create=True)
    owner = current_owner()
    if owner is not None and owned_unit(owner, unit.id) is None:
        owner = None
    try:
        recorded = record_done(
            unit, request.form.get("task", ""), _today_for(owner), owner=owner, source="page"
        )
    except UnknownTask:
        abort(404)
    if recorded.created:
        flash(_("Thank you! Logged for this appliance."))
    else:
        flash(_("This was already logged today."))
    return _see_other(unit_path(unit) + "#tasks")


# --- confirming and logging in --------------------------------------------------------------


@bp.get("/me/check")
def check() -> str:
    """After a sign-up or login request: look in your mailbox, or type the code."""
    pending = session.get(PENDING_SESSION_KEY) or {}
    return render_template("owner/check.html", channel=pending.get("channel"))


@bp.post("/me/code")
@limiter.limit(CODE_LIMIT)
def code() -> BaseResponse | tuple[str, int]:
    """Check the 6-digit SMS code for the pending sign-up or login."""
    pending = session.get(PENDING_SESSION_KEY) or {}
    try:
        owner = confirm_code(
            str(pending.get("handle") or ""), request.form.get("code", ""), now_utc()
        )
    except ConfirmationFailed as exc:
        return render_template("owner/check.html", channel="sms", error=str(exc)), 400
    _log_in(owner)
    flash(_("Confirmed. Welcome!"))
    return _see_other(url_for("owner.appliances"))


@bp.get("/me/confirm/<token>")
def confirm_page(token: str) -> str | tuple[str, int]:
    """The email link opens a page with a button: mail scanners that follow links change nothing."""
    try:
        confirmation = read_link(token, now_utc())
    except ConfirmationFailed as exc:
        return render_template("owner/confirm.html", error=str(exc)), 400
    return render_template("owner/confirm.html", token=token, purpose=confirmation.purpose)


@bp.post("/me/confirm/<token>")
def confirm(token: str) -> BaseResponse | tuple[str, int]:
    """Confirm the address (and add the unit) and log in."""
    try:
        owner = confirm_link(token, now_utc())
    except ConfirmationFailed as exc:
        return render_template("owner/confirm.html", error=str(exc)), 400
    _log_in(owner)
    flash(_("Confirmed. Welcome!"))
    return _see_other(url_for("owner.appliances"))


@bp.route("/me/login", methods=["GET", "POST"])
@ip_limit
def login() -> BaseResponse | str:
    """Ask for a login link (email) or code (SMS); no passwords."""
    if request.method == "GET":
        return render_template("owner/login.html")
    started = time.monotonic()
    try:
        pending = request_login(request.form.get("contact", ""), now_utc())
    except OwnerError as exc:
        flash(str(exc), "error")
        return render_template("owner/login.html")
    # The same answer, cookie and time whether or not the address is known (or got a message),
    # so the form reveals nobody: sending takes tens of milliseconds, so every answer waits
    # until LOGIN_ANSWER_SECONDS have passed.
    session[PENDING_SESSION_KEY] = {"handle": pending.handle, "channel": pending.channel}
    _wait_until(started + float(current_app.config.get("LOGIN_ANSWER_SECONDS", 0)))
    return _see_other(url_for("owner.check"))


def _wait_until(deadline: float) -> None:
    """Sleep until the monotonic clock reaches `deadline` (at once if it has)."""
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


@bp.post("/me/logout")
def logout() -> BaseResponse:
    """Forget the owner in this browser."""
    _forget_owner()
    return _see_other(url_for("public.index"))


# --- my appliances --------------------------------------------------------------------------


@bp.get("/me")
@owner_required
def appliances() -> str:
    """All my units with their next dates, the unit with the most overdue task first."""
    owner = _owner()
    today = _today_for(owner)
    rows = []
    for ownership in active_ownerships(owner):
        tasks = upcoming(ownership.unit, today)
        rows.append((ownership, tasks))
    rows.sort(key=lambda row: (row[1][0].next_due if row[1] else date.max, row[0].id))
    return render_template("owner/appliances.html", owner=owner, rows=rows, today=today)


def _my_unit(unit_id: int) -> Unit:
    unit = owned_unit(_owner(), unit_id)
    if unit is None:
        abort(404)
    return unit


def _task_titles(version_ids: set[int]) -> dict[tuple[int, str], dict[str, str]]:
    """Task titles per (version, key), for history entries of older versions."""
    titles: dict[tuple[int, str], dict[str, str]] = {}
    for version in db.session.scalars(
        select(ProtocolVersion).where(ProtocolVersion.id.in_(version_ids))
    ):
        for task in version.tasks:
            titles[(version.id, task.key)] = task.spec.get("title", {})
    return titles


@bp.get("/me/units/<int:unit_id>")
@owner_required
def unit_detail(unit_id: int) -> str:
    """One unit: its tasks with done / skip / snooze, and its maintenance history."""
    owner = _owner()
    unit = _my_unit(unit_id)
    today = _today_for(owner)
    tasks = upcoming(unit, today)
    logs = history(unit)
    titles = _task_titles({log.version_id for log in logs})
    return render_template(
        "owner/unit.html",
        owner=owner,
        unit=unit,
        tasks=tasks,
        logs=logs,
        titles=titles,
        today=today,
        unit_path=unit_path(unit),
    )


@bp.post("/me/units/<int:unit_id>/tasks/<task_key>/<action>")
@owner_required
def task_action(unit_id: int, task_key: str, action: str) -> BaseResponse:
    """Mark a task done (with an optional note), skip it, snooze its reminder, or resume it."""
    owner = _owner()
    unit = _my_unit(unit_id)
    today = _today_for(owner)
    note = request.form.get("note", "")[:2000]
    try:
        if action == "done":
            record_done(unit, task_key, today, owner=owner, source="owner", note=note)
            flash(_("Marked as done."))
        elif action == "skip":
            record_skip(unit, task_key, today, owner=owner, source="owner", note=note)
            flash(_("Skipped this time."))
        elif action == "snooze":
            until = snooze_task(_schedule(unit, task_key), today)
            flash(_("We will remind you on %(date)s.", date=until.isoformat()))
        elif action == "resume":
            set_pace(_schedule(unit, task_key), "resumed", today, owner=owner, source="owner")
            flash(_("Reminders for this task are on again, as usual."))
        else:
            abort(404)
    except UnknownTask:
        abort(404)
    return _see_other(url_for("owner.unit_detail", unit_id=unit.id))


def _schedule(unit: Unit, task_key: str) -> TaskSchedule:
    """The unit's schedule of a task, or 404."""
    schedule = find_schedule(unit, task_key)
    if schedule is None:
        abort(404)
    return schedule


@bp.post("/me/units/<int:unit_id>/end")
@owner_required
def end(unit_id: int) -> BaseResponse:
    """Stop being an owner of this unit (others keep it; its history stays with the unit)."""
    unit = _my_unit(unit_id)
    end_ownership(_owner(), unit, now_utc())
    flash(_("The appliance was removed from your list."))
    return _see_other(url_for("owner.appliances"))


@bp.route("/me/add", methods=["GET", "POST"])
@owner_required
def add() -> BaseResponse | str:
    """Add a unit by scanning its code (the camera opens its page) or typing its address."""
    if request.method == "GET":
        return render_template("owner/add.html")
    text = request.form.get("code", "").strip()
    try:
        role = check_role(request.form.get("role", "owner"))
    except OwnerError as exc:
        flash(str(exc), "error")
        return render_template("owner/add.html"), 400  # type: ignore[return-value]
    try:
        path = urlsplit(text).path if "://" in text else text
        link = parse_digital_link_path(path if path.startswith("/") else "/" + path)
    except (IdentifierError, ValueError):  # ValueError: urlsplit on a broken host ("[::1")
        flash(_("That is not the web address on an appliance label."), "error")
        return render_template("owner/add.html"), 400  # type: ignore[return-value]
    if link.serial is None and link.unit_code is None:
        flash(_("That code is for a model; please scan the label on your own appliance."), "error")
        return render_template("owner/add.html"), 400  # type: ignore[return-value]
    unit = find_unit(link.gtin, serial=link.serial, unit_code=link.unit_code)
    if unit is None and link.serial is not None:
        try:
            unit = register_unit_from_scan(link.gtin, link.serial)
        except UnitError:
            unit = None
    if unit is None or unit.voided_at is not None:
        flash(_("We do not know this appliance."), "error")
        return render_template("owner/add.html"), 404  # type: ignore[return-value]
    add_unit(_owner(), unit, now_utc(), role=role)
    flash(_("Added to your appliances."))
    return _see_other(url_for("owner.unit_detail", unit_id=unit.id))


# --- settings, export, delete, calendar -----------------------------------------------------


@bp.route("/me/settings", methods=["GET", "POST"])
@owner_required
def settings() -> BaseResponse | str | tuple[str, int]:
    """Channel, language, time of day, time zone, digest or per task, pause all."""
    owner = _owner()
    if request.method == "POST":
        form = request.form
        try:
            update_settings(
                owner,
                Settings(
                    channel=form.get("channel", owner.channel),
                    language=form.get("language", owner.language),
                    preferred_hour=int(form.get("hour", owner.preferred_hour)),
                    time_zone=form.get("time_zone", owner.time_zone),
                    digest=form.get("digest") == "1",
                    paused=form.get("paused") == "1",
                ),
            )
        except (OwnerError, ValueError) as exc:
            flash(str(exc), "error")
            return render_template("owner/settings.html", owner=owner, zones=TIME_ZONES), 400
        flash(_("Your settings were saved."))
        return _see_other(url_for("owner.settings"))
    return render_template("owner/settings.html", owner=owner, zones=TIME_ZONES)


@bp.get("/me/export")
@owner_required
def export() -> BaseResponse:
    """All my data as a JSON download."""
    data: dict[str, Any] = export_data(_owner())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-maintenance-data.json"'},
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@owner_required
def delete() -> BaseResponse | str:
    """Ask, then erase all my personal data (the units keep an anonymous history)."""
    if request.method == "GET":
        return render_template("owner/delete.html")
    delete_owner(_owner())
    _forget_owner()
    flash(_("All your personal data was deleted. You will get no more messages from us."))
    return _see_other(url_for("public.index"))


@bp.route("/me/calendar", methods=["GET", "POST"])
@owner_required
def calendar() -> BaseResponse | str:
    """The private calendar link: show it, make it, or revoke it."""
    owner = _owner()
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            calendar_feed.revoke_calendar(owner)
            flash(_("The old calendar link no longer works."))
        else:
            calendar_feed.calendar_token_for(owner)
        return _see_other(url_for("owner.calendar"))
    url = calendar_feed.feed_url(owner.calendar_token) if owner.calendar_token else None
    return render_template("owner/calendar.html", url=url)


@bp.get("/calendar/<token>.ics")
def calendar_ics(token: str) -> BaseResponse:
    """The iCalendar feed behind a private link."""
    owner = calendar_feed.owner_for_token(token)
    if owner is None:
        abort(404)
    body = calendar_feed.build_calendar(owner, _today_for(owner))
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.app_context_processor
def _owner_nav() -> dict[str, object]:
    return {"owner_logged_in": OWNER_SESSION_KEY in session}
