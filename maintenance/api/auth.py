"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from maintenance.models import User
from maintenance.services.accounts import user_for_token
from maintenance.web.errors import ApiError

P = ParamSpec("P")
R = TypeVar("R")


def token_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Require a valid bearer token, of one of the roles when given (admins always pass)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                raise ApiError(401, "a valid bearer token is required")
            if roles and user.role not in roles and not user.is_admin:
                raise ApiError(403, f"this needs a {' or '.join(roles)} token")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


def api_user() -> User:
    """The user behind the request's bearer token."""
    return g.api_user
