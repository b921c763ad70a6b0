"""My appliances: the list, one unit with its tasks and history, adding and removing units."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import now_utc
from maintenance.models import TaskSchedule, Unit
from maintenance.services.catalog import task_titles_by_version
from maintenance.services.due_dates import DIGEST_DAYS
from maintenance.services.identifiers import IdentifierError, parse_digital_link_path
from maintenance.services.owners.contacts import OwnerError, check_role
from maintenance.services.owners.ownership import (
    active_ownerships,
    add_unit,
    end_ownership,
    owned_unit,
)
from maintenance.services.schedules.pace import set_pace
from maintenance.services.schedules.plan import find_schedule, upcoming
from maintenance.services.schedules.records import (
    UnknownTask,
    history,
    record_done,
    record_skip,
    snooze_task,
)
from maintenance.services.units.create import register_unit_from_scan
from maintenance.services.units.errors import UnitError
from maintenance.services.units.find import find_unit
from maintenance.web.owner import bp
from maintenance.web.owner.session import owner_required, see_other, signed_in_owner, today_for
from maintenance.web.owner.unit_forms import unit_path


@bp.get("/me")
@owner_required
def appliances() -> str:
    """All my units with their next dates, the unit with the most overdue task first."""
    owner = signed_in_owner()
    today = today_for(owner)
    rows = []
    for ownership in active_ownerships(owner):
        tasks = upcoming(ownership.unit, today)
        rows.append((ownership, tasks))
    rows.sort(key=lambda row: (row[1][0].next_due if row[1] else date.max, row[0].id))
    # A task counts as due from the day a reminder would bring it up (the digest's week ahead).
    due_by = today + timedelta(days=DIGEST_DAYS)
    return render_template(
        "owner/appliances.html", owner=owner, rows=rows, today=today, due_by=due_by
    )


def _my_unit(unit_id: int) -> Unit:
    unit = owned_unit(signed_in_owner(), unit_id)
    if unit is None:
        abort(404)
    return unit


@bp.get("/me/units/<int:unit_id>")
@owner_required
def unit_detail(unit_id: int) -> str:
    """One unit: its tasks with done / skip / snooze, and its maintenance history."""
    owner = signed_in_owner()
    unit = _my_unit(unit_id)
    today = today_for(owner)
    tasks = upcoming(unit, today)
    logs = history(unit)
    titles = task_titles_by_version({log.version_id for log in logs})
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
    owner = signed_in_owner()
    unit = _my_unit(unit_id)
    today = today_for(owner)
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
    return see_other(url_for("owner.unit_detail", unit_id=unit.id))


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
    end_ownership(signed_in_owner(), unit, now_utc())
    flash(_("The appliance was removed from your list."))
    return see_other(url_for("owner.appliances"))


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
    add_unit(signed_in_owner(), unit, now_utc(), role=role)
    flash(_("Added to your appliances."))
    return see_other(url_for("owner.unit_detail", unit_id=unit.id))
