"""Targets of the links in reminders: done, snooze, steps, pace, partners, unsubscribe, SMS page."""

# A GET never changes anything (mail scanners and link previews follow links): it shows a page
# with a button, and the POST does the work. Forged or expired links get a readable 403 page.

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask import render_template as _render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import now_utc
from maintenance.extensions import csrf
from maintenance.i18n import LANGUAGES
from maintenance.models import Owner
from maintenance.services.owners.ownership import owned_unit
from maintenance.services.reminders import actions
from maintenance.services.reminders.links import InvalidLink, action_url
from maintenance.services.reminders.render import PACE_CHOICES, asks_about_pace
from maintenance.web.owner.session import current_owner, log_in_first

bp = Blueprint("actions", __name__)


def render_template(name: str, owner: Owner | None = None, **context: Any) -> str:
    """Render in the owner's language, unless the visitor chose one (?lang= or the cookie)."""
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if owner is None or chosen in LANGUAGES or owner.language not in LANGUAGES:
        return _render_template(name, owner=owner, **context)
    with force_locale(owner.language):
        return _render_template(name, owner=owner, **context)


def _invalid(error: InvalidLink) -> tuple[str, int]:
    message = (
        _("This link has expired. Open your appliances from a newer message or log in.")
        if error.expired
        else _("This link is not valid. Please use the link from the message exactly as it is.")
    )
    return render_template("actions/invalid.html", message=message), 403


def _links(link: actions.TaskLink) -> dict[str, str]:
    payload = {"r": link.reminder.id, "s": link.schedule.id}
    links = {name: action_url(name, payload) for name in ("done", "snooze", "steps")}
    if link.task.difficulty == "professional":
        links["partners"] = action_url("partners", payload)
    if asks_about_pace(link.schedule.missed_in_row, link.schedule.pace):
        links.update(
            (choice, action_url("pace", {**payload, "p": choice})) for choice in PACE_CHOICES
        )
    return links


@bp.errorhandler(InvalidLink)
def invalid_link(error: InvalidLink) -> tuple[str, int]:
    """Forged, damaged or expired tokens: nothing changed, say so plainly."""
    return _invalid(error)


@bp.get("/a/done/<token>")
def confirm_done(token: str) -> str:
    """Ask to confirm the task is done."""
    link = actions.resolve_task_link("done", token)
    earlier = actions.done_by_this_reminder(link)
    return render_template(
        "actions/confirm.html",
        owner=link.owner,
        link=link,
        action="done",
        earlier=earlier,
        links=_links(link),
    )


@bp.post("/a/done/<token>")
def do_done(token: str) -> str:
    """Log the task as done (once)."""
    link = actions.resolve_task_link("done", token)
    outcome = actions.mark_done(link, now_utc())
    return render_template(
        "actions/result.html", owner=link.owner, link=link, action="done", outcome=outcome
    )


@bp.get("/a/snooze/<token>")
def confirm_snooze(token: str) -> str:
    """Ask to confirm putting the reminder off a week."""
    link = actions.resolve_task_link("snooze", token)
    earlier = actions.snoozed_since_reminder(link)
    return render_template(
        "actions/confirm.html",
        owner=link.owner,
        link=link,
        action="snooze",
        earlier=earlier,
        links=_links(link),
    )


@bp.post("/a/snooze/<token>")
def do_snooze(token: str) -> str:
    """Snooze the task's reminder a week (once)."""
    link = actions.resolve_task_link("snooze", token)
    outcome = actions.snooze_week(link, now_utc())
    return render_template(
        "actions/result.html", owner=link.owner, link=link, action="snooze", outcome=outcome
    )


@bp.get("/a/steps/<token>")
def steps(token: str) -> str:
    """The task's steps, with the done and snooze buttons."""
    link = actions.resolve_task_link("steps", token)
    return render_template("actions/steps.html", owner=link.owner, link=link, links=_links(link))


@bp.get("/a/partners/<token>")
def partners(token: str) -> BaseResponse:
    """A professional task's "Find a service partner": the owner's find page, after a login.

    The signed link only says which task: the page shares the owner's contact with a partner,
    so it opens for the owner signed in with this browser, never for whoever holds the link.
    """
    link = actions.resolve_task_link("partners", token)
    target = url_for("partners.find", unit_id=link.unit.id, task_key=link.schedule.task_key)
    owner = current_owner()
    if owner is None or owned_unit(owner, link.unit.id) is None:
        flash(_("Log in to find a service partner for this task."))
        return log_in_first(target)
    return redirect(target)


@bp.get("/a/pace/<token>")
def confirm_pace(token: str) -> str:
    """Ask to confirm the household's answer to "does this interval suit you"."""
    link, choice = actions.resolve_pace_link(token)
    return render_template(
        "actions/pace.html", owner=link.owner, link=link, choice=choice, outcome=None
    )


@bp.post("/a/pace/<token>")
def do_pace(token: str) -> str:
    """Keep the answer: remind less often, stop the task, or keep it as it is."""
    link, choice = actions.resolve_pace_link(token)
    outcome = actions.choose_pace(link, choice, now_utc())
    return render_template(
        "actions/pace.html", owner=link.owner, link=link, choice=choice, outcome=outcome
    )


@bp.get("/r/<token>")
def reminder_page(token: str) -> str:
    """The page behind the short link in an SMS: the reminder's tasks and their buttons."""
    reminder, links = actions.resolve_short_link(token)
    return render_template(
        "actions/reminder.html",
        owner=links[0].owner if links else None,
        reminder=reminder,
        entries=[(link, _links(link)) for link in links],
    )


@bp.get("/a/unsubscribe/<token>")
def confirm_unsubscribe(token: str) -> str:
    """Ask to confirm: stop all reminders."""
    owner, _channel = actions.resolve_unsubscribe(token)
    return render_template("actions/unsubscribe.html", owner=owner, done=None)


@bp.post("/a/unsubscribe/<token>")
@csrf.exempt
def do_unsubscribe(token: str) -> str:
    """Unsubscribe: also the RFC 8058 one-click POST a mail client sends, without login or CSRF
    token (the signed token is the authentication)."""
    owner, _channel = actions.resolve_unsubscribe(token)
    outcome = actions.unsubscribe(owner, now_utc())
    return render_template("actions/unsubscribe.html", owner=owner, done=outcome)
