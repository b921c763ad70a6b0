"""The page a person lands on after scanning a unit's (or model's) QR code."""

# Scans are the busiest requests the service answers, so the page is put together from parts that
# are rendered once: its body once per model, protocol version, language, kind of code and kind of
# visitor; each task once per version and language; each due date once per day and language. For
# an anonymous visitor (no session, see visitors.py) the whole page is kept, header included. The
# parts carry markers where a unit's own values go (its serial or code, the order and due dates of
# its tasks, the way back after switching language, a signed-in visitor's form token) and a scan
# only fills those in, on UTF-8 bytes (the page's texts are not all Latin-1, and replacing in
# wide strings and encoding the result cost more than the rest of the filling in). The templates
# stay the one source of the markup: the same ones render every variant. The body includes the
# protocol's "Something is wrong?" section (public/_troubleshooting.html), so it costs a scan only
# its bytes; its "Still not right?" forms carry the same GTIN and code markers.

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal, TypeVar
from urllib.parse import quote_plus

from flask import get_template_attribute, render_template, request, session
from flask_babel import format_date
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from maintenance.clock import service_today
from maintenance.i18n import language_url, select_locale
from maintenance.services.catalog import VersionInfo, VersionKey
from maintenance.services.owners.login import get_owner
from maintenance.services.owners.ownership import owned_unit
from maintenance.services.owners.signup import CONSENT_TEXT_VERSION
from maintenance.services.schedules.preview import due_order
from maintenance.services.units.find import ScannedModel, ScannedUnit
from maintenance.web.notice_pages import unit_banner
from maintenance.web.product_links import links_block
from maintenance.web.visitors import (
    OWNER_SECRET_KEY,
    OWNER_SESSION_KEY,
    is_anonymous_visit,
    is_signed_in,
)

PAGE_TEMPLATE = "public/unit.html"
BODY_TEMPLATE = "public/_unit_body.html"
PARTS_TEMPLATE = "public/_unit_parts.html"
# Parts kept per process; far more than the models, versions and languages in use at once.
CACHE_SIZE = 512

Audience = Literal["anyone", "owner", "mine"]  # "owner": signed in, but not an owner of this unit
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

_TOKEN = secrets.token_hex(8)  # per process, so no template or protocol text holds a marker
MARKS = {
    name: Markup(f"[[{name}:{_TOKEN}]]")
    for name in ("tasks", "identity", "csrf", "gtin", "code", "due", "back", "links", "notice")
}
# The way back after a language switch is a query value, so its marker is written encoded.
BACK_MARK = quote_plus(MARKS["back"])
# The markers as they appear in the UTF-8 parts.
BYTE_MARKS = {name: str(mark).encode() for name, mark in MARKS.items()}
BYTE_BACK_MARK = BACK_MARK.encode()


@dataclass(frozen=True)
class PageKey:
    """What the page depends on besides the scan's own values."""

    model: tuple[int, str, str]  # id, brand and name: a renamed model gets new parts
    version: VersionKey | None
    language: str
    kind: Literal["serial", "code"] | None  # which code the path names; None: a model page
    audience: Audience
    signed_in: bool  # an owner or staff member: the forms carry the session's token


@dataclass(frozen=True)
class TaskItem:
    """A task's list item, split where the unit's due date goes."""

    before_due: bytes
    after_due: bytes


# Published versions and their texts never change, so these never go stale (see catalog.py).
_pages: dict[PageKey, bytes] = {}  # whole pages, for anonymous visitors
_bodies: dict[PageKey, str] = {}  # page bodies, for signed-in visitors
_identities: dict[PageKey, bytes] = {}
_task_items: dict[tuple[VersionKey, str], dict[str, TaskItem]] = {}


def _kept(cache: dict[K, T], key: K, make: Callable[[], T]) -> T:
    """The cached value for `key`, made and kept on first use."""
    found = cache.get(key)
    if found is None:
        found = make()
        if len(cache) >= CACHE_SIZE:
            cache.clear()  # far more than in use: start over rather than track age
        cache[key] = found
    return found


def page_body(key: PageKey, model: ScannedModel, version: VersionInfo | None) -> str:
    """The body for this model, version, language, code and visitor, with markers."""
    return _kept(
        _bodies,
        key,
        lambda: render_template(
            BODY_TEMPLATE,
            model=model,
            version=version,
            kind=key.kind,
            owner=key.audience != "anyone",
            mine=key.audience == "mine",
            language=key.language,
            consent_version=CONSENT_TEXT_VERSION,
            marks=MARKS,
        ),
    )


def anonymous_page(key: PageKey, model: ScannedModel, version: VersionInfo | None) -> bytes:
    """The whole page as an anonymous visitor sees it, with markers; rendered once."""
    return _kept(
        _pages,
        key,
        lambda: render_template(
            PAGE_TEMPLATE,
            title=f"{model.brand} {model.name}",
            body=Markup(page_body(key, model, version)),
            language_url=lambda language: language_url(language, back_to=MARKS["back"]),
        ).encode(),
    )


def identity(key: PageKey) -> bytes:
    """The hidden form fields that name the unit (and the token of a signed-in visitor)."""
    return _kept(
        _identities,
        key,
        lambda: str(
            get_template_attribute(PARTS_TEMPLATE, "identity")(key.kind, key.signed_in, MARKS)
        ).encode(),
    )


def task_items(version: VersionInfo, language: str) -> dict[str, TaskItem]:
    """Each task's list item by task key, rendered once per version and language."""

    def render() -> dict[str, TaskItem]:
        item = get_template_attribute(PARTS_TEMPLATE, "item")
        items = {}
        for task in version.tasks:
            html = str(item(task.key, task.spec, MARKS)).encode()
            before, _, after = html.partition(BYTE_MARKS["due"])
            items[task.key] = TaskItem(before_due=before, after_due=after)
        return items

    return _kept(_task_items, (version.key, language), render)


@lru_cache(maxsize=4096)
def due_date(day: date, overdue: bool, language: str) -> bytes:
    """A task's due date as the page shows it, in `language` (the current one)."""
    due = get_template_attribute(PARTS_TEMPLATE, "due")
    return str(due(format_date(day, "long"), overdue)).encode()


def render_unit(
    model: ScannedModel,
    unit: ScannedUnit | None,
    gtin: str,
    serial: str | None,
    unit_code: str | None,
    version: VersionInfo | None,
    unit_has_records: bool = True,
) -> bytes:
    """The unit page: tasks in the order they fall due for this unit, sign-up and "done it".

    unit_has_records=False (known from the lookup) skips reading schedules and logs.
    """
    today = service_today()
    # The request's language as Flask-Babel would choose it, without building its Locale.
    language = select_locale()
    anonymous = is_anonymous_visit()
    signed_in = not anonymous and is_signed_in()
    key = PageKey(
        model=(model.id, model.brand, model.name),
        version=version.key if version is not None else None,
        language=language,
        kind="serial" if serial is not None else "code" if unit_code is not None else None,
        audience="anyone" if anonymous else _audience(unit),
        signed_in=signed_in,
    )
    if anonymous:
        page = anonymous_page(key, model, version)
    else:
        page = render_template(
            PAGE_TEMPLATE,
            title=f"{model.brand} {model.name}",
            body=Markup(page_body(key, model, version)),
        ).encode()
    tasks = b""
    if version is not None:
        items = task_items(version, language)
        tasks = b"".join(
            items[task_key].before_due
            + due_date(next_due, next_due < today, language)
            + items[task_key].after_due
            for task_key, next_due in due_order(
                unit, version, today, unit_has_records=unit_has_records
            )
        )
    # Open recalls first, at the top (maintenance/web/notice_pages.py): never cached.
    page = page.replace(
        BYTE_MARKS["notice"],
        unit_banner(gtin, serial, unit.sold_on if unit else None, key.kind is not None),
    )
    # Tasks and the identity first: they hold markers of their own.
    page = page.replace(BYTE_MARKS["tasks"], tasks).replace(BYTE_MARKS["identity"], identity(key))
    page = page.replace(BYTE_MARKS["links"], links_block(model, unit.id if unit else None, version))
    if anonymous:
        page = page.replace(BYTE_BACK_MARK, quote_plus(request.full_path).encode())
    if signed_in:
        page = page.replace(BYTE_MARKS["csrf"], _html_bytes(generate_csrf()))
    code = serial if serial is not None else unit_code or ""
    return page.replace(BYTE_MARKS["gtin"], _html_bytes(gtin)).replace(
        BYTE_MARKS["code"], _html_bytes(code)
    )


def _html_bytes(value: str) -> bytes:
    """A value escaped for HTML, as UTF-8."""
    return str(escape(value)).encode()


def _audience(unit: ScannedUnit | None) -> Audience:
    """Who is looking: anyone, a signed-in owner, or an owner of this very unit."""
    owner = get_owner(session.get(OWNER_SESSION_KEY), session.get(OWNER_SECRET_KEY))
    if owner is None:
        return "anyone"
    return "mine" if unit is not None and owned_unit(owner, unit.id) is not None else "owner"
