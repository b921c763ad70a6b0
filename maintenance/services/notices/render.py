"""Render a notice as an email in the Art. 36 layout or as one short SMS line with a link."""

# Both carry "I have done this" and the manufacturer's contact; the email has a one-step stop
# (List-Unsubscribe with one-click POST) for this notice's messages. Texts come in the owner's
# language (the notice's texts fall back to the other language where one is missing).

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from maintenance.i18n import LANGUAGES
from maintenance.notify import EmailMessage, SmsMessage
from maintenance.services.notices.links import notice_url
from maintenance.services.notices.texts import (
    RECALL_HEADINGS,
    SERVICE_HEADINGS,
    TEXT_FIELDS,
    VersionTexts,
)

EMAIL_PARTS = ("email/notice.txt", "email/notice.html")
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# The appliance's name in an SMS is cut here, so the line stays short.
SMS_NAME_CHARS = 40


@dataclass(frozen=True)
class Content:
    """Everything a notice message shows, as plain data (read once per batch by the outbox)."""

    delivery_id: int
    version_id: int
    kind: str
    reference: str
    update: bool
    version: VersionTexts
    gtins: list[str]
    serials: dict[str, Any]
    models: list[str]  # "Brand Model" of the notice's GTINs
    units: list[str] = field(default_factory=list)  # the owner's affected units, with serials


def heading(kind: str, language: str) -> str:
    """The notice's heading in a language (the regulation's wording for a recall)."""
    headings = RECALL_HEADINGS if kind == "recall" else SERVICE_HEADINGS
    return headings.get(language, headings["en"])


def language_for(owner: Any) -> str:
    """The owner's language when the service speaks it, else the default."""
    return owner.language if owner.language in LANGUAGES else LANGUAGES[0]


def serial_summary(serials: dict[str, Any]) -> list[str]:
    """The affected serials as a person reads them: each range with a dash, then the list."""
    ranges = [f"{first} \u2013 {last}" for first, last in serials.get("ranges", [])]
    listed = list(serials.get("list", []))
    if len(listed) > 20:
        listed = [*listed[:20], "\u2026"]
    return ranges + listed


def _context(content: Content, language: str) -> dict[str, Any]:
    """The templates' values, in the current (forced) language; the owner's own as markers."""
    version = content.version
    remedy_names = {"repair": _("Repair"), "replacement": _("Replacement"), "refund": _("Refund")}
    title = heading(content.kind, language)
    appliance = ", ".join(content.models)
    subject = (
        _("Update: %(heading)s: %(appliance)s", heading=title, appliance=appliance)
        if content.update
        else f"{title}: {appliance}"
    )
    return {
        "language": language,
        "subject": subject,
        "heading": title,
        "recall": content.kind == "recall",
        "update": content.update,
        "reference": content.reference,
        "appliance": appliance,
        "units": _MARKS["units"] if content.units else "",
        "gtins": content.gtins,
        "serials": serial_summary(content.serials),
        "texts": {name: version.text(language, name) for name in TEXT_FIELDS},
        "picture_url": version.picture_url,
        "remedies": [remedy_names[r] for r in version.remedies],
        "contact": version.contact,
        "page_url": _MARKS["page_url"],
        "done_url": _MARKS["done_url"],
        "stop_url": _MARKS["stop_url"],
    }


# Where a message's own values go in a part rendered once (no template or text holds NUL).
_MARKS = {name: f"\x00{name}\x00" for name in ("units", "page_url", "done_url", "stop_url")}
# Rendered parts kept per process; far more than the versions and languages sent at once.
_PARTS_KEPT = 256


@dataclass(frozen=True)
class _Parts:
    """A notice's email for one version, language and kind of message, with markers."""

    subject: str
    text: str
    html: str
    list_name: str


def _parts(content: Content, language: str) -> _Parts:
    """The rendered parts, made once: Jinja with its gettext per text took ~4 ms a message."""
    key = (
        content.version_id,
        content.update,
        bool(content.units),
        language,
        tuple(content.models),
        current_app.config["BASE_URL"],
    )
    kept: dict[Any, _Parts] = current_app.extensions.setdefault("notice_parts", {})
    parts = kept.get(key)
    if parts is None:
        environment = current_app.jinja_env
        with force_locale(language):
            context = _context(content, language)
            text, html = (environment.get_template(n).render(context) for n in EMAIL_PARTS)
            parts = _Parts(context["subject"], text, html, _("Safety and service notices"))
        if len(kept) >= _PARTS_KEPT:
            kept.clear()
        kept[key] = parts
    return parts


def _fill(part: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        part = part.replace(_MARKS[name], value)
    return part


def message_id(dedupe_key: str, reminder_id: int) -> str:
    """A Message-ID that is the same on every attempt of an outbox row."""
    config = current_app.config
    digest = hmac.new(
        config["SECRET_KEY"].encode(), dedupe_key.encode(), hashlib.sha256
    ).hexdigest()[:16]
    address = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1]
    domain = (
        address.rsplit("@", 1)[1]
        if "@" in address
        else urlsplit(config["BASE_URL"]).hostname or "localhost"
    )
    return f"<notice.{reminder_id}.{digest}@{domain}>"


def render_email(content: Content, owner: Any, reminder_id: int, dedupe_key: str) -> EmailMessage:
    """The notice as a multipart email in the owner's language."""
    if not owner.email:
        raise ValueError("owner has no email address")
    language = language_for(owner)
    parts = _parts(content, language)
    urls = {
        "page_url": notice_url(content.delivery_id),
        "done_url": notice_url(content.delivery_id, "done"),
        "stop_url": notice_url(content.delivery_id, "stop"),
    }
    text = _fill(parts.text, {**urls, "units": "\n".join(f"  {u}" for u in content.units)})
    html_values = {name: str(escape(url)) for name, url in urls.items()}
    html_values["units"] = "".join(f"<li>{escape(u)}</li>" for u in content.units)
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return EmailMessage(
        to=owner.email,
        subject=parts.subject,
        text=text,
        html=_fill(parts.html, html_values),
        message_id=message_id(dedupe_key, reminder_id),
        headers={
            "List-Id": f"{parts.list_name} <notices.{host}>",
            "List-Unsubscribe": f"<{urls['stop_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
        },
    )


def render_sms(content: Content, owner: Any) -> SmsMessage:
    """One short line with the link to the notice, "I have done this" and the contact."""
    if not owner.phone:
        raise ValueError("owner has no phone number")
    language = language_for(owner)
    name = ", ".join(content.models)
    if len(name) > SMS_NAME_CHARS:
        name = name[: SMS_NAME_CHARS - 1].rstrip() + "\u2026"
    url = notice_url(content.delivery_id)
    phone = content.version.contact.get("phone")
    with force_locale(language):
        title = heading(content.kind, language)
        if content.update:
            body = _(
                "Update: %(heading)s %(name)s. Read: %(url)s", heading=title, name=name, url=url
            )
        elif content.kind == "recall":
            body = _(
                "%(heading)s %(name)s: stop using it. Read and confirm: %(url)s",
                heading=title,
                name=name,
                url=url,
            )
        else:
            body = _("%(heading)s %(name)s. Read: %(url)s", heading=title, name=name, url=url)
        if phone:
            body += " " + _("Questions: %(phone)s", phone=phone)
    return SmsMessage(
        to=owner.phone,
        body=body,
        status_callback=current_app.config["BASE_URL"] + STATUS_CALLBACK_PATH,
    )
