"""Confirmation links and codes: make one, send it, keep to the message budget, confirm.

Nothing is sent to an address before it is confirmed except the one confirmation message; an
owner is tied to a unit only once confirmed, so no reminder can reach an unconfirmed address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Confirmation, Owner, Unit
from maintenance.notify import EmailMessage, SmsMessage, channels_from_settings
from maintenance.services.owners.contacts import OwnerError
from maintenance.services.owners.ownership import add_unit
from maintenance.services.schedules.plan import wake_owner

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

SIGNUP_LINK_HOURS = 48
LOGIN_LINK_MINUTES = 30
SMS_CODE_MINUTES = 15
MAX_CODE_ATTEMPTS = 5
# Confirmation messages to one address or number, over the sign-up and login forms together:
# a person needs a few; more would let the forms flood someone's inbox or phone (and run up an
# SMS bill). Counted from the confirmations in the database, so the budget holds across every
# process and machine without a shared cache.
MESSAGE_BUDGET = ((timedelta(hours=1), 3), (timedelta(days=1), 5))
CONFIRM_PATH = "/me/confirm/"
# The email's text and HTML parts, rendered in the owner's language.
EMAIL_PARTS = ("email/confirmation.txt", "email/confirmation.html")


class ConfirmationFailed(Exception):
    """A link or code that does not (or no longer) confirm anything."""


class TooManyMessages(OwnerError):
    """This address or number had its share of confirmation messages for now."""


@dataclass(frozen=True)
class Pending:
    """A confirmation that was sent: its handle (the code form needs it) and the channel used."""

    handle: str
    channel: str


# --- making and sending ---------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="owner-confirmation")


def _hash(value: str) -> str:
    # Keyed, so a leaked table does not let anyone test the million possible SMS codes offline.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_confirmation(
    owner: Owner, purpose: str, channel: str, now: datetime, unit: Unit | None, role: str | None
) -> tuple[Confirmation, str]:
    """Store a confirmation and return it with its secret: a link token or a 6-digit code."""
    if channel == "email":
        lifetime = (
            timedelta(hours=SIGNUP_LINK_HOURS)
            if purpose == "signup"
            else timedelta(minutes=LOGIN_LINK_MINUTES)
        )
    else:
        lifetime = timedelta(minutes=SMS_CODE_MINUTES)
    confirmation = Confirmation(
        owner=owner,
        purpose=purpose,
        channel=channel,
        secret_hash="",
        unit_id=unit.id if unit is not None else None,
        role=role,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(confirmation)
    db.session.flush()
    if channel == "email":
        nonce = secrets.token_urlsafe(16)
        confirmation.secret_hash = _hash(f"{confirmation.id}:{nonce}")
        return confirmation, _serializer().dumps({"c": confirmation.id, "n": nonce})
    code = f"{secrets.randbelow(1_000_000):06d}"
    confirmation.secret_hash = _hash(f"{confirmation.id}:{code}")
    return confirmation, code


def confirm_url(token: str) -> str:
    """The absolute link in a confirmation email."""
    return f"{current_app.config['BASE_URL']}{CONFIRM_PATH}{token}"


def send_confirmation(owner: Owner, channel: str, purpose: str, secret: str) -> None:
    """Send the one message an unconfirmed address may get: its link or code."""
    channels = channels_from_settings(current_app.config)
    with force_locale(owner.language):
        if channel == "email":
            assert owner.email is not None
            channels["email"].send(_confirmation_email(owner, owner.email, purpose, secret))
        else:
            assert owner.phone is not None
            text = _(
                "Your code: %(code)s (valid %(minutes)s minutes). Did not ask for it? Ignore this.",
                code=secret,
                minutes=SMS_CODE_MINUTES,
            )
            channels["sms"].send(SmsMessage(to=owner.phone, body=text))


def _confirmation_email(owner: Owner, address: str, purpose: str, token: str) -> EmailMessage:
    """The email with a sign-up or login link, in the current locale (the owner's language)."""
    if purpose == "signup":
        subject = _("Confirm your maintenance reminders")
    else:
        subject = _("Your link to My appliances")
    context = {
        "purpose": purpose,
        "link": confirm_url(token),
        "subject": subject,
        "language": owner.language,
    }
    text, html = (current_app.jinja_env.get_template(name).render(context) for name in EMAIL_PARTS)
    domain = current_app.config["BASE_URL"].split("//")[-1].split(":")[0].split("/")[0]
    return EmailMessage(
        to=address,
        subject=subject,
        text=text,
        html=html,
        message_id=make_msgid(domain=domain or "localhost"),
    )


def within_budget(owner: Owner, channel: str, now: datetime) -> bool:
    """Whether another confirmation message may go to the owner's address on this channel."""
    # A write first: it locks the owner's row on PostgreSQL and takes SQLite's write lock, so
    # parallel requests for one address count one after the other and cannot both pass.
    db.session.execute(
        update(Owner)
        .where(Owner.id == owner.id)
        .values(session_secret=Owner.session_secret)
        .execution_options(synchronize_session=False)
    )
    longest = max(window for window, _most in MESSAGE_BUDGET)
    sent_at = db.session.scalars(
        select(Confirmation.created_at).where(
            Confirmation.owner_id == owner.id,
            Confirmation.channel == channel,
            Confirmation.created_at > now - longest,
        )
    ).all()
    return all(
        sum(1 for moment in sent_at if moment > now - window) < most
        for window, most in MESSAGE_BUDGET
    )


# --- confirming ----------------------------------------------------------------------------


def _apply(confirmation: Confirmation, now: datetime) -> Owner:
    """Use a confirmation: verify its channel; for a sign-up, tie the owner to the unit."""
    owner = confirmation.owner
    # Marked used in one conditional UPDATE, so two parallel uses cannot both go through.
    taken = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Confirmation)
            .where(Confirmation.id == confirmation.id, Confirmation.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not taken:
        raise ConfirmationFailed(
            _("This link or code was already used. Ask for a new one if you need to.")
        )
    db.session.refresh(confirmation)
    if confirmation.channel == "email" and owner.email_verified_at is None:
        owner.email_verified_at = now
    if confirmation.channel == "sms" and owner.phone_verified_at is None:
        owner.phone_verified_at = now
    if confirmation.purpose == "signup" and confirmation.unit_id is not None:
        unit = db.session.get(Unit, confirmation.unit_id)
        if unit is not None:
            add_unit(owner, unit, now, role=confirmation.role or "owner")
    db.session.flush()
    wake_owner(owner.id)  # a newly confirmed channel: reminders for what is due now
    return owner


def _usable(confirmation: Confirmation | None, now: datetime) -> str | None:
    """Why a confirmation cannot be used, or None when it can."""
    if confirmation is None:
        return _("This link or code is not valid.")
    if confirmation.used_at is not None:
        return _("This link or code was already used. Ask for a new one if you need to.")
    if confirmation.expires_at <= now:
        return _("This link or code has expired. Please ask for a new one.")
    if confirmation.attempts >= MAX_CODE_ATTEMPTS:
        return _("Too many wrong codes. Please ask for a new one.")
    return None


def read_link(token: str, now: datetime) -> Confirmation:
    """The confirmation an email link stands for, if still usable; else ConfirmationFailed."""
    try:
        payload = _serializer().loads(token, max_age=SIGNUP_LINK_HOURS * 3600)
        confirmation_id, nonce = int(payload["c"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ConfirmationFailed(_("This link is not valid or has expired.")) from None
    confirmation = db.session.get(Confirmation, confirmation_id)
    problem = _usable(confirmation, now)
    if problem is not None:
        raise ConfirmationFailed(problem)
    assert confirmation is not None, "_usable refuses a missing confirmation"
    if not hmac.compare_digest(confirmation.secret_hash, _hash(f"{confirmation_id}:{nonce}")):
        raise ConfirmationFailed(_("This link is not valid or has expired."))
    return confirmation


@transactional
def confirm_link(token: str, now: datetime) -> Owner:
    """Follow an email link: confirm the address (and add the unit), or ConfirmationFailed."""
    return _apply(read_link(token, now), now)


def _take_attempt(confirmation: Confirmation) -> int | None:
    """Count one guess in a single conditional UPDATE: the attempts so far, or None if used up.

    Read-then-write would let parallel guesses all read the same count and all pass.
    """
    return db.session.execute(
        update(Confirmation)
        .where(
            Confirmation.id == confirmation.id,
            Confirmation.attempts < MAX_CODE_ATTEMPTS,
            Confirmation.used_at.is_(None),
        )
        .values(attempts=Confirmation.attempts + 1)
        .returning(Confirmation.attempts)
        .execution_options(synchronize_session=False)
    ).scalar()


@transactional
def _check_code(handle: str, code: str, now: datetime) -> Owner | str:
    confirmation = db.session.scalar(select(Confirmation).where(Confirmation.handle == handle))
    problem = _usable(confirmation, now)
    if problem is not None:
        return problem
    assert confirmation is not None
    if confirmation.channel != "sms":
        return _("This link or code is not valid.")
    attempts = _take_attempt(confirmation)
    if attempts is None:
        return _("Too many wrong codes. Please ask for a new one.")
    digits = re.sub(r"\D", "", code)
    if not hmac.compare_digest(confirmation.secret_hash, _hash(f"{confirmation.id}:{digits}")):
        # The attempt is committed with this answer, so guessing is limited across requests.
        left = MAX_CODE_ATTEMPTS - attempts
        if left <= 0:
            return _("Too many wrong codes. Please ask for a new one.")
        return _("That code is not right. You can try %(left)s more times.", left=left)
    return _apply(confirmation, now)


def confirm_code(handle: str, code: str, now: datetime) -> Owner:
    """Check a 6-digit SMS code (limited attempts): the owner, or ConfirmationFailed."""
    outcome = _check_code(handle, code, now)
    if isinstance(outcome, str):
        raise ConfirmationFailed(outcome)
    return outcome
