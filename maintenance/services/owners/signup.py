"""Sign-up for reminders with double opt-in: record the consent, send the link or code."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.i18n import LANGUAGES
from maintenance.models import Confirmation, Consent, Owner, Unit
from maintenance.services.events import record_event
from maintenance.services.owners.confirmations import (
    Pending,
    TooManyMessages,
    new_confirmation,
    send_confirmation,
    within_budget,
)
from maintenance.services.owners.contacts import (
    Contact,
    OwnerError,
    check_role,
    find_owner,
    is_confirmed,
    parse_contact,
)

# The version of the consent wording shown next to the checkbox; bump it when the text changes.
CONSENT_TEXT_VERSION = "reminders-v1"


@transactional
def _create_signup(
    contact: Contact,
    unit: Unit,
    role: str,
    language: str,
    preferred_hour: int,
    now: datetime,
    source: str,
) -> tuple[Owner, Confirmation, str]:
    owner = find_owner(contact)
    if owner is None:
        owner = Owner(
            email=contact.address if contact.channel == "email" else None,
            phone=contact.address if contact.channel == "sms" else None,
            channel=contact.channel,
            language=language,
            preferred_hour=preferred_hour,
            time_zone=current_app.config.get("DEFAULT_TIME_ZONE", "Europe/Amsterdam"),
            created_at=now,
        )
        db.session.add(owner)
    elif not is_confirmed(owner):
        # Nobody confirmed this address yet: the latest sign-up's choices win.
        owner.language = language
        owner.preferred_hour = preferred_hour
    db.session.flush()
    if not within_budget(owner, contact.channel, now):
        raise TooManyMessages(
            _("We sent enough messages to this address for now. Please try again later.")
        )
    db.session.add(
        Consent(
            owner_id=owner.id,
            channel=contact.channel,
            text_version=CONSENT_TEXT_VERSION,
            source=source,
            given_at=now,
        )
    )
    confirmation, secret = new_confirmation(owner, "signup", contact.channel, now, unit, role)
    record_event("signup", unit=unit, at=now, channel=contact.channel)
    return owner, confirmation, secret


def request_signup(
    contact_text: str,
    unit: Unit,
    *,
    consent: bool,
    now: datetime,
    role: str = "owner",
    language: str = "nl",
    preferred_hour: int = 9,
    source: str = "unit-page",
) -> Pending:
    """Record a sign-up with its consent and send the confirmation link or code."""
    if not consent:
        raise OwnerError(_("Please tick the box to agree to receive reminders."))
    check_role(role)
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    if not 0 <= preferred_hour <= 23:
        raise OwnerError(_("Please choose an hour of the day."))
    contact = parse_contact(contact_text)
    owner, confirmation, secret = _create_signup(
        contact, unit, role, language, preferred_hour, now, source
    )
    send_confirmation(owner, contact.channel, "signup", secret)
    return Pending(confirmation.handle, contact.channel)
