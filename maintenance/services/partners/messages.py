"""The messages of a service request: to the partner when it arrives, to the owner at each step.

Built and sent like the owners' confirmation messages: text and HTML parts rendered in the
reader's language and sent through the configured channel right after the change is committed.
Each email to the owner carries a one-step stop for this request's messages (a link, and
List-Unsubscribe with one-click POST). A failed send is logged (without addresses) and does not
undo the change: the inbox and the owner's page show it too.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from maintenance.extensions import db
from maintenance.i18n import localized
from maintenance.models import PartnerProfile, ServiceRequest
from maintenance.notify import EmailMessage, SendError, SmsMessage, channels_from_settings
from maintenance.services.partners.requests import task_title
from maintenance.services.partners.stops import partner_stop_url, stop_url

log = logging.getLogger(__name__)


def _email(
    to: str, subject: str, name: str, context: dict[str, Any], headers: dict[str, str]
) -> EmailMessage:
    """The email/<name>.txt and .html templates as one message, in the current locale."""
    context = {**context, "subject": subject, "base_url": current_app.config["BASE_URL"]}
    text, html = (
        current_app.jinja_env.get_template(f"email/{name}.{part}").render(context)
        for part in ("txt", "html")
    )
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return EmailMessage(
        to=to,
        subject=subject,
        text=text,
        html=html,
        message_id=make_msgid(domain=host),
        headers={"Auto-Submitted": "auto-generated", **headers},
    )


def _send(channel: str, message: EmailMessage | SmsMessage, request: ServiceRequest) -> bool:
    try:
        channels_from_settings(current_app.config)[channel].send(message)
    except SendError as exc:
        log.warning("service request %s: %s message not sent: %s", request.id, channel, exc)
        return False
    return True


def _context(request: ServiceRequest, language: str) -> dict[str, Any]:
    """What both sides' templates show of the request, in the current locale."""
    task = localized(task_title(request.unit, request.task_key)) or request.task_key
    return {"request": request, "task": task, "language": language}


def tell_partner(request: ServiceRequest) -> bool:
    """Announce a new request to the partner's request address, in the partner's language."""
    profile = db.session.get(PartnerProfile, request.partner_id)
    if profile is None or profile.email is None or not profile.email_requests:
        return False
    language = request.partner.language
    with force_locale(language):
        subject = _("New service request %(number)s", number=request.id)
        stop = partner_stop_url(profile.organisation_id)
        context = {**_context(request, language), "stop_url": stop}
        headers = {
            **_stop_headers(_("New service requests"), "new-requests", stop),
            "Content-Language": language,
        }
        message = _email(profile.email, subject, "service_request_new", context, headers)
    return _send("email", message, request)


def _stop_headers(list_name: str, list_key: str, stop: str) -> dict[str, str]:
    """List-Id and one-click List-Unsubscribe (RFC 8058) for a stream of messages."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return {
        "List-Id": f"{list_name} <{list_key}.{host}>",
        "List-Unsubscribe": f"<{stop}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _owner_line(request: ServiceRequest) -> str | None:
    """What the owner is told for the request's state, in the current locale (None: nothing)."""
    name = request.partner.name
    if request.status == "accepted":
        return _(
            "%(partner)s accepted your service request and proposes: %(time)s",
            partner=name,
            time=request.proposed_time,
        )
    if request.status == "declined":
        return _(
            "%(partner)s cannot take your service request: %(reason)s",
            partner=name,
            reason=request.decline_reason,
        )
    if request.status == "done" and request.done_on is not None:
        return _(
            "%(partner)s marked the task done on %(day)s. Your schedule moved on.",
            partner=name,
            day=format_date(request.done_on, "long"),
        )
    return None


def tell_owner(request: ServiceRequest) -> bool:
    """Tell the owner the request's new state (accepted, declined, done) on their channel."""
    owner = request.owner
    if owner is None or request.owner_stopped_at is not None:
        return False
    with force_locale(owner.language):
        line = _owner_line(request)
        if line is None:
            return False
        if owner.channel == "sms" and owner.phone and owner.phone_suppressed_at is None:
            # An SMS is stopped by answering STOP (services/reminders/delivery.py).
            return _send("sms", SmsMessage(to=owner.phone, body=line), request)
        if owner.email is None or owner.email_suppressed_at is not None:
            return False
        subject = _("Your service request: %(partner)s", partner=request.partner.name)
        stop = stop_url(request.id)
        context = {**_context(request, owner.language), "line": line, "stop_url": stop}
        headers = {
            **_stop_headers(_("Service requests"), "service-requests", stop),
            "Content-Language": owner.language,
        }
        message = _email(owner.email, subject, "service_request_owner", context, headers)
    return _send("email", message, request)
