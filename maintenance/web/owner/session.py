"""Who is logged in: the owner in this browser's session, logging in and out, their today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import redirect, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from maintenance.clock import local_today as clock_today
from maintenance.clock import now_utc, service_today
from maintenance.extensions import limiter
from maintenance.models import Owner
from maintenance.services.owners.login import get_owner
from maintenance.web.owner import bp
from maintenance.web.visitors import OWNER_SECRET_KEY, OWNER_SESSION_KEY

# The sign-up or login waiting for its code or link: {"handle": ..., "channel": ...}.
PENDING_SESSION_KEY = "owner_pending"
# Where to go once logged in, when a link from a message needed a login first (a path on /me/).
NEXT_SESSION_KEY = "owner_next"
# Per IP (Flask-Limiter), on the sign-up and login forms. The budget per address and per number
# is counted from the database by the owners service (confirmations.MESSAGE_BUDGET), over both
# forms and every process.
PER_IP_LIMIT = "20 per hour"

P = ParamSpec("P")
R = TypeVar("R")

ip_limit = limiter.limit(PER_IP_LIMIT, methods=["POST"])


def current_owner() -> Owner | None:
    """The owner logged in with this browser, if they still exist."""
    return get_owner(session.get(OWNER_SESSION_KEY), session.get(OWNER_SECRET_KEY))


def forget_owner() -> None:
    """Log the owner out of this browser."""
    session.pop(OWNER_SESSION_KEY, None)
    session.pop(OWNER_SECRET_KEY, None)


def owner_required(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """Send visitors who are not logged in to the login page."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if current_owner() is None:
            forget_owner()
            return redirect(url_for("owner.login"))
        return view(*args, **kwargs)

    return wrapper


def signed_in_owner() -> Owner:
    """The logged-in owner, in a view behind owner_required."""
    owner = current_owner()
    assert owner is not None
    return owner


def log_in(owner: Owner) -> None:
    """Remember the confirmed owner in this browser's session."""
    session.pop(PENDING_SESSION_KEY, None)
    session[OWNER_SESSION_KEY] = owner.id
    session[OWNER_SECRET_KEY] = owner.session_secret
    session.permanent = True


def log_in_first(target: str) -> BaseResponse:
    """To the login page, coming back to `target` (a path on /me/) once logged in."""
    session[NEXT_SESSION_KEY] = target
    return redirect(url_for("owner.login"))


def after_login() -> str:
    """Where a fresh login goes: the page that asked for it, else My appliances."""
    target = session.pop(NEXT_SESSION_KEY, None)
    # Only our own owner pages: the session is signed, but a path is the one safe thing to trust.
    if isinstance(target, str) and target.startswith("/me/"):
        return target
    return url_for("owner.appliances")


def today_for(owner: Owner | None) -> date:
    """Today in the owner's time zone (the default if unknown); a visitor's: the service's."""
    if owner is None:
        return service_today()
    return clock_today(owner.time_zone, now_utc())


def see_other(target: str) -> BaseResponse:
    """Redirect after a form post (303), so reloading the page does not post again."""
    return redirect(target, code=303)


@bp.app_context_processor
def _owner_nav() -> dict[str, object]:
    """Whether the menu shows an owner's links."""
    return {"owner_logged_in": OWNER_SESSION_KEY in session}
