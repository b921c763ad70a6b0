"""The page a person lands on after scanning a unit's (or model's) QR code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

from flask import get_template_attribute, render_template, session
from flask_babel import format_date, get_translations
from markupsafe import Markup, escape

from maintenance.catalog import VersionInfo, VersionKey
from maintenance.i18n import current_language, localized
from maintenance.models import ProductModel, Unit
from maintenance.owners import CONSENT_TEXT_VERSION, get_owner, owned_unit
from maintenance.schedules import preview
from maintenance.units import local_today

OWNER_SESSION_KEY = "owner_id"
TASK_DETAILS_TEMPLATE = "public/_task_details.html"
# Rendered task texts kept per process: one entry per version and language in use.
TASK_DETAILS_CACHE_SIZE = 512


@dataclass(frozen=True)
class TaskDetails:
    """The parts of a task on the unit page that are the same for every unit, as HTML."""

    title: Markup
    meta: Markup  # interval, duration and difficulty
    body: Markup  # why, safety, what you need and the steps


# Published versions never change, so their rendered texts are kept per (version, language).
_task_details: dict[tuple[VersionKey, str], dict[str, TaskDetails]] = {}


def task_details(version: VersionInfo, language: str) -> dict[str, TaskDetails]:
    """Each task's folded-open details by task key, rendered once per version and language."""
    key = (version.key, language)
    found = _task_details.get(key)
    if found is None:
        meta = get_template_attribute(TASK_DETAILS_TEMPLATE, "meta")
        body = get_template_attribute(TASK_DETAILS_TEMPLATE, "body")
        found = {
            task.key: TaskDetails(
                title=escape(localized(task.spec["title"], language)),
                meta=meta(task.spec),
                body=body(task.spec),
            )
            for task in version.tasks
        }
        if len(_task_details) >= TASK_DETAILS_CACHE_SIZE:
            _task_details.clear()  # far more than in use: start over rather than track age
        _task_details[key] = found
    return found


@lru_cache(maxsize=1024)
def _translation(message: str, language: str) -> str:
    """A page text in `language`, the current one (the catalogue is fixed while running)."""
    return get_translations().ugettext(message)


@cache
def _page_gettext(language: str) -> Callable[..., Markup]:
    """`_()` for the unit page: as Flask-Babel's, but each text is looked up once per process.

    Passed into the page as `_`, it stands in for Jinja's alias of the same name, which calls
    Flask-Babel through the template context on each of the page's thirty-odd texts. It formats
    as Jinja's newstyle gettext does in an autoescaped (.html) template: values are escaped.
    """

    def gettext(message: str, **variables: Any) -> Markup:
        return Markup(_translation(message, language)) % variables

    return gettext


@lru_cache(maxsize=4096)
def _long_date(day: date, language: str) -> str:
    """A date as the `dateformat("long")` filter writes it, in `language`, the current one."""
    return format_date(day, "long")


@cache
def _page_long_date(language: str) -> Callable[[date], str]:
    """The page's due dates in words, each formatted once per process."""
    return lambda day: _long_date(day, language)


def render_unit(
    model: ProductModel,
    unit: Unit | None,
    gtin: str,
    serial: str | None,
    unit_code: str | None,
    version: VersionInfo | None,
    unit_has_records: bool = True,
) -> str:
    """The unit page: tasks in the order they fall due for this unit, sign-up and "done it".

    unit_has_records=False (known from the lookup) skips reading schedules and logs.
    """
    today = local_today()
    language = current_language()
    tasks = (
        preview(unit, version, today, unit_has_records=unit_has_records)
        if version is not None
        else []
    )
    owner = get_owner(session.get(OWNER_SESSION_KEY))
    mine = owner is not None and unit is not None and owned_unit(owner, unit.id) is not None
    return render_template(
        "public/unit.html",
        model=model,
        unit=unit,
        version=version,
        tasks=tasks,
        task_details=task_details(version, language) if version is not None else {},
        today=today,
        gtin=gtin,
        serial=serial,
        unit_code=unit_code,
        owner=owner,
        mine=mine,
        language=language,
        consent_version=CONSENT_TEXT_VERSION,
        _=_page_gettext(language),
        long_date=_page_long_date(language),
    )
