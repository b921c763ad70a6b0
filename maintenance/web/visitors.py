"""Anonymous visitors: the scan page serves them without a session; its forms take their posts."""

# Most scans come from people who have never signed in. Their unit page needs no session: nothing
# on it depends on who is looking, so it is put together from parts shared by every visitor and no
# cookie is set. Its two forms ("Remind me", "Done it today") carry a CSRF token only for a visitor
# who is signed in (an owner, or staff). That is safe because a CSRF token protects what a
# browser's login allows, and a post from a browser that is not signed in allows nothing its sender
# could not do directly. Such a post is still refused when the browser says it came from another
# site (Origin, Sec-Fetch-Site), so another site cannot plant a sign-up in a visitor's browser.

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask_wtf.csrf import CSRFError

from maintenance.extensions import csrf

P = ParamSpec("P")
R = TypeVar("R")

# Where the session keeps a signed-in owner, and where Flask-Login keeps staff (and the default
# name of its remember-me cookie).
OWNER_SESSION_KEY = "owner_id"
# Next to the id: the owner's session secret, without which the id opens nobody.
OWNER_SECRET_KEY = "owner_secret"
STAFF_SESSION_KEY = "_user_id"
REMEMBER_COOKIE = "remember_token"
SAME_SITE_FETCH = {"same-origin", "none"}  # "none": the person typed or bookmarked it


def is_anonymous_visit() -> bool:
    """No session and no remembered login: nothing about the visitor can change the page."""
    config = current_app.config
    cookies = request.cookies
    return (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) not in cookies
    )


def is_signed_in() -> bool:
    """An owner or a staff member is signed in with this browser (or it remembers a login)."""
    return (
        OWNER_SESSION_KEY in session
        or STAFF_SESSION_KEY in session
        or current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in request.cookies
    )


def anonymous_form(view: Callable[P, R]) -> Callable[P, R]:
    """A form on the unit page: the token when signed in, else only from this site."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if is_signed_in():
            csrf.protect()
        else:
            _refuse_other_sites()
        return view(*args, **kwargs)

    csrf.exempt(wrapper)  # the wrapper above decides instead
    return wrapper


def _refuse_other_sites() -> None:
    """400 when the browser says the post came from another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCH:
        raise CSRFError("The form was sent from another site.")
    if origin is not None and _origin(origin) not in _own_origins():
        raise CSRFError("The form was sent from another site.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origins() -> set[str]:
    """The service's public origin and the one this request was addressed to."""
    return {_origin(current_app.config["BASE_URL"]), _origin(request.host_url)}
