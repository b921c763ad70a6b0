"""Notices where people look: a message's link, the notice page, banners, gs1:recallStatus."""

# The page behind a message's link offers "I have done this" and stop; the banner shows on unit
# and model pages and in "my appliances".
#
# A GET of the message's page counts it as opened (mail scanners that follow links make that
# figure an upper bound); "I have done this" and stop change nothing until their button is
# pressed, except stop's one-click POST from a mail client (RFC 8058), which the signed token
# authenticates.

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, get_template_attribute, request
from flask_babel import gettext as _
from markupsafe import Markup

from maintenance.clock import now_utc
from maintenance.extensions import csrf
from maintenance.i18n import current_language
from maintenance.models import Notice, ProductModel
from maintenance.models.notice import ACTED_CHOICES
from maintenance.services.notices import acts, pages
from maintenance.services.notices.authoring import find_notice
from maintenance.services.notices.render import heading, serial_summary
from maintenance.services.notices.texts import TEXT_FIELDS, VersionTexts
from maintenance.services.reminders.links import InvalidLink
from maintenance.web.actions import render_template

bp = Blueprint("notice_pages", __name__)

PUBLIC_PATH = "/recalls/"


@dataclass(frozen=True)
class Shown:
    """A notice's current version as a page shows it in one language."""

    notice: Notice
    heading: str
    texts: dict[str, str]
    version: VersionTexts
    serials: list[str]


def shown(notice: Notice, language: str) -> Shown:
    """The notice's newest texts in a language (falling back to the other one)."""
    current = notice.current
    version = VersionTexts(current.texts, current.picture_url, current.remedies, current.contact)
    return Shown(
        notice,
        heading(notice.kind, language),
        {name: version.text(language, name) for name in TEXT_FIELDS},
        version,
        serial_summary(notice.serials or {}),
    )


def public_url(notice: Notice) -> str:
    """The absolute URL of the notice's public page."""
    return f"{current_app.config['BASE_URL']}{PUBLIC_PATH}{notice.id}"


@bp.errorhandler(InvalidLink)
def invalid_link(error: InvalidLink) -> tuple[str, int]:
    """Forged, damaged or expired tokens: nothing changed, say so plainly."""
    message = _("This link is not valid. Please use the link from the message exactly as it is.")
    if error.expired:
        message = _("This link has expired. The notice is on the product's page.")
    return render_template("actions/invalid.html", message=message), 403


def _page(opened: acts.Opened, template: str, **context: object) -> str:
    language = current_language() if request.args.get("lang") else None
    if language is None and opened.owner is not None:
        language = opened.owner.language
    return render_template(
        template,
        owner=opened.owner,
        opened=opened,
        shown=shown(opened.notice, language or current_language()),
        choices=ACTED_CHOICES,
        token=request.view_args["token"] if request.view_args else "",
        **context,
    )


@bp.get("/n/<token>")
def notice_page(token: str) -> str:
    """The notice as its message's link opens it, with "I have done this"."""
    opened = acts.resolve(token)
    acts.mark_opened(opened, now_utc())
    return _page(opened, "notices/owner.html", done=None)


@bp.route("/n/<token>/done", methods=["GET", "POST"])
def done(token: str) -> str:
    """Ask, then record: remedy done (repaired, replaced, refunded) or stopped using it."""
    opened = acts.resolve(token)
    if request.method == "GET":
        acts.mark_opened(opened, now_utc())
        return _page(opened, "notices/done.html", changed=None)
    how = request.form.get("how", "")
    if how not in ACTED_CHOICES:
        abort(400)
    changed = acts.confirm_acted(opened, how, now_utc())
    return _page(opened, "notices/done.html", changed=changed)


@bp.route("/n/<token>/stop", methods=["GET", "POST"])
@csrf.exempt
def stop(token: str) -> str:
    """No more messages about this notice (one click from the mail client's unsubscribe too)."""
    opened = acts.resolve(token)
    changed = acts.stop_messages(opened, now_utc()) if request.method == "POST" else None
    return _page(opened, "notices/stop.html", changed=changed)


@bp.get(f"{PUBLIC_PATH}<int:notice_id>")
def public_page(notice_id: int) -> str:
    """A sent notice for anyone (Art. 35(4)): no owner, no personal data."""
    notice = find_notice(notice_id)
    if notice is None or notice.status == "draft":
        abort(404)
    return render_template("notices/public.html", shown=shown(notice, current_language()))


def banner(notices: list[Notice], *, for_model: bool = False) -> Markup:
    """The banner at the top of a page for these open notices ("" for none)."""
    if not notices:
        return Markup("")
    macro = get_template_attribute("notices/_banner.html", "banner")
    language = current_language()
    items = [(shown(n, language), f"{PUBLIC_PATH}{n.id}") for n in notices]
    return Markup(macro(items, for_model))


def unit_banner(gtin: str, serial: str | None, sold_on: date | None, is_unit: bool) -> bytes:
    """The unit page's banner as UTF-8 (a model page without a unit: every notice of the GTIN)."""
    if is_unit:
        notices = pages.open_notices_for_unit(gtin, serial, sold_on)
    else:
        notices = pages.open_notices_for_gtins([gtin])
    return str(banner(notices, for_model=not is_unit)).encode()


def model_banner(model: ProductModel) -> Markup:
    """The model page's banner: the open notices of any of its GTINs."""
    return banner(pages.open_notices_for_gtins(g.gtin for g in model.gtins), for_model=True)


def recall_link(gtin: str, serial: str | None, unit: Any, is_unit: bool) -> str | None:
    """The gs1:recallStatus target: the newest open notice of the unit (or model), if any."""
    if is_unit:
        sold_on = unit.sold_on if unit is not None else None
        notices = pages.open_notices_for_unit(gtin, serial, sold_on)
    else:
        notices = pages.open_notices_for_gtins([gtin])
    return public_url(notices[0]) if notices else None


bp.add_app_template_global(model_banner, "notice_banner_for_model")
bp.add_app_template_global(pages.open_notices_for_owned, "open_notices_for_owned")
