"""The messages of a service request: to the partner when it arrives, to the owner at each step.

Built and sent like the owners' confirmation messages: rendered in the reader's language and
sent through the configured channel right after the change is committed. A failed send is logged
(without addresses) and does not undo the change: the inbox and the owner's page show it too.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from maintenance.models import ServiceRequest
from maintenance.notify import EmailMessage, SendError, SmsMessage, channels_from_settings

log = logging.getLogger(__name__)


def _email(to: str, subject: str, template: str, request: ServiceRequest) -> EmailMessage:
    text = current_app.jinja_env.get_template(template).render(
        request=request, subject=subject, base_url=current_app.config["BASE_URL"]
    )
    domain = current_app.config["BASE_URL"].split("//")[-1].split(":")[0].split("/")[0]
    return EmailMessage(
        to=to,
        subject=subject,
        text=text,
        html=None,
        message_id=make_msgid(domain=domain or "localhost"),
    )


def _send(channel: str, message: EmailMessage | SmsMessage, request: ServiceRequest) -> bool:
    try:
        channels_from_settings(current_app.config)[channel].send(message)
    except SendError as exc:
        log.warning("service request %s: %s message not sent: %s", request.id, channel, exc)
        return False
    return True


def tell_partner(request: ServiceRequest) -> bool:
    """Announce a new request to the partner's request address, in the partner's language."""
    profile_email = _partner_email(request)
    if profile_email is None:
        return False
    with force_locale(request.partner.language):
        subject = _("New service request %(number)s", number=request.id)
        message = _email(profile_email, subject, "email/service_request_new.txt", request)
    return _send("email", message, request)


def _partner_email(request: ServiceRequest) -> str | None:
    from maintenance.extensions import db
    from maintenance.models import PartnerProfile

    profile = db.session.get(PartnerProfile, request.partner_id)
    return profile.email if profile is not None else None


def tell_owner(request: ServiceRequest) -> bool:
    """Tell the owner the request's new state (accepted, declined, done) on their channel."""
    owner = request.owner
    if owner is None:
        return False
    with force_locale(owner.language):
        name = request.partner.name
        lines = {
            "accepted": _(
                "%(partner)s accepted your service request and proposes: %(time)s",
                partner=name,
                time=request.proposed_time,
            ),
            "declined": _(
                "%(partner)s cannot take your service request: %(reason)s",
                partner=name,
                reason=request.decline_reason,
            ),
            "done": _(
                "%(partner)s marked the task done on %(day)s. Your schedule moved on.",
                partner=name,
                day=request.done_on.isoformat() if request.done_on else "",
            ),
        }
        line = lines.get(request.status)
        if line is None:
            return False
        if owner.channel == "sms" and owner.phone and owner.phone_suppressed_at is None:
            return _send("sms", SmsMessage(to=owner.phone, body=line), request)
        if owner.email is None or owner.email_suppressed_at is not None:
            return False
        subject = _("Your service request: %(partner)s", partner=name)
        template = f"email/service_request_{request.status}.txt"
        return _send("email", _email(owner.email, subject, template, request), request)
