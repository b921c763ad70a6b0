"""Dashboards kept in memory for a few minutes, per dashboard, scope, language and database."""

# A dashboard's grouped pass reads every event of its period; on SQLite with a year of activity
# that takes a few hundred milliseconds, and the figures are monthly, so a page may be a few
# minutes old. Any commit made by this process forgets every kept dashboard, so a change made
# here shows at once; a change committed by another process (another web worker, the scheduler)
# shows within CACHE_SECONDS.

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask_babel import get_locale
from sqlalchemy import Engine, event

from maintenance.extensions import db
from maintenance.services.figures.dashboard import Dashboard
from maintenance.services.figures.queries import Scope

# How long a dashboard is reused when nothing in this process has committed since.
CACHE_SECONDS = 300
# Enough for every organisation's default page and some filters; the oldest go first.
MAX_DASHBOARDS = 128

_lock = threading.Lock()
_kept: OrderedDict[Hashable, tuple[float, Dashboard]] = OrderedDict()
# Bumped by every commit, so a dashboard computed while a commit happened is not kept.
_generation = 0


def forget() -> None:
    """Drop every kept dashboard (called on every commit of this process)."""
    global _generation
    with _lock:
        _generation += 1
        _kept.clear()


def _on_commit(_connection: object) -> None:
    forget()


def _watch(engine: Engine) -> None:
    """Forget kept dashboards whenever this engine commits."""
    if not event.contains(engine, "commit", _on_commit):
        event.listen(engine, "commit", _on_commit)


def cached_dashboard(kind: str, scope: Scope, build: Callable[[Scope], Dashboard]) -> Dashboard:
    """The dashboard of this kind and scope, built at most once per CACHE_SECONDS."""
    engine = db.engine
    _watch(engine)
    # Titles and headings are translated when the dashboard is built, so the language counts.
    key = (str(engine.url), kind, scope, str(get_locale()))
    now = time.monotonic()
    with _lock:
        kept = _kept.get(key)
        if kept is not None and now - kept[0] < CACHE_SECONDS:
            return kept[1]
        generation = _generation
    dashboard = build(scope)
    with _lock:
        if generation == _generation:
            _kept[key] = (now, dashboard)
            _kept.move_to_end(key)
            while len(_kept) > MAX_DASHBOARDS:
                _kept.popitem(last=False)
    return dashboard
