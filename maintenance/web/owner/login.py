"""Getting in without a password: confirm by link or code, log in, log out."""

from __future__ import annotations

import time

from flask import current_app, flash, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import now_utc
from maintenance.extensions import limiter
from maintenance.services.owners.confirmations import (
    ConfirmationFailed,
    confirm_code,
    confirm_link,
    read_link,
)
from maintenance.services.owners.contacts import OwnerError
from maintenance.services.owners.login import request_login
from maintenance.web.owner import bp
from maintenance.web.owner.session import (
    PENDING_SESSION_KEY,
    after_login,
    forget_owner,
    ip_limit,
    log_in,
    see_other,
)

CODE_LIMIT = "30 per hour"


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
    log_in(owner)
    flash(_("Confirmed. Welcome!"))
    return see_other(after_login())


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
    log_in(owner)
    flash(_("Confirmed. Welcome!"))
    return see_other(after_login())


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
    return see_other(url_for("owner.check"))


def _wait_until(deadline: float) -> None:
    """Sleep until the monotonic clock reaches `deadline` (at once if it has)."""
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


@bp.post("/me/logout")
def logout() -> BaseResponse:
    """Forget the owner in this browser."""
    forget_owner()
    return see_other(url_for("public.index"))
