"""The one place that commits: service functions marked @transactional commit on success."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from maintenance.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_depth: ContextVar[int] = ContextVar("transaction_depth", default=0)


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Commit when the outermost marked call returns; roll back everything if it raises."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _depth.set(_depth.get() + 1)
        try:
            result = func(*args, **kwargs)
            if _depth.get() == 1:
                db.session.commit()
            return result
        except BaseException:
            if _depth.get() == 1:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)

    return wrapper
