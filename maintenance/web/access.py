"""Staff page access: logged in, with one of the roles (admins always pass)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Redirect anonymous visitors to login; refuse staff of another role with 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles and not current_user.is_admin:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapper)

    return decorator
