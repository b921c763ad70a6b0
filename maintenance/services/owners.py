"""Consumers: sign up with double opt-in, log in by link or code, units, settings, export, erase.

Nothing is sent to an address before it is confirmed except the one confirmation message; an
owner is tied to a unit only once confirmed, so no reminder can reach an unconfirmed address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import make_msgid
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, cast

import phonenumbers
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.i18n import LANGUAGES
from maintenance.models import (
    Confirmation,
    Consent,
    MaintenanceLog,
    Owner,
    Ownership,
    Reminder,
    ReminderItem,
    TaskSchedule,
    Unit,
)
from maintenance.models.confirmation import new_handle
from maintenance.notify import EmailMessage, SmsMessage, channels_from_settings
from maintenance.services.events import record_event
from maintenance.services.notices.fanout import queue_for_new_owner
from maintenance.services.schedules import ensure_schedules, wake_owner

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

# The version of the consent wording shown next to the checkbox; bump it when the text changes.
CONSENT_TEXT_VERSION = "reminders-v1"
SIGNUP_LINK_HOURS = 48
LOGIN_LINK_MINUTES = 30
SMS_CODE_MINUTES = 15
MAX_CODE_ATTEMPTS = 5
UNCONFIRMED_DAYS = 7
# Confirmation messages to one address or number, over the sign-up and login forms together:
# a person needs a few; more would let the forms flood someone's inbox or phone (and run up an
# SMS bill). Counted from the confirmations in the database, so the budget holds across every
# process and machine without a shared cache.
MESSAGE_BUDGET = ((timedelta(hours=1), 3), (timedelta(days=1), 5))
ROLES = ("owner", "household", "second-hand")
CONFIRM_PATH = "/me/confirm/"

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class OwnerError(ValueError):
    """Input a person can correct; the message is shown to them as it is."""


class ConfirmationFailed(Exception):
    """A link or code that does not (or no longer) confirm anything."""


@dataclass(frozen=True)
class Contact:
    """A normalised address: channel "email" or "sms" and the email or E.164 number."""

    channel: str
    address: str


@dataclass(frozen=True)
class Pending:
    """A confirmation that was sent: its handle (the code form needs it) and the channel used."""

    handle: str
    channel: str


class TooManyMessages(OwnerError):
    """This address or number had its share of confirmation messages for now."""


# --- addresses ------------------------------------------------------------------------------


def normalize_email(text: str) -> str:
    """A plausible email address, trimmed and lower-cased, or OwnerError."""
    address = text.strip().lower()
    if len(address) > 320 or not _EMAIL.match(address) or _has_invisible(address):
        raise OwnerError(_("This does not look like an email address."))
    return address


def _has_invisible(text: str) -> bool:
    """Control or format characters (NUL, U+202E, soft hyphens): an address never holds them,
    and they make two addresses look alike."""
    return any(unicodedata.category(char) in {"Cc", "Cf"} for char in text)


def normalize_phone(text: str, countries: tuple[str, ...] | list[str]) -> str:
    """A mobile number in E.164 (Dutch formats such as 06 12345678 accepted), or OwnerError."""
    allowed = [country.upper() for country in countries] or ["NL"]
    number = None
    # A national number (06..., 0470...) is read as from each allowed country in turn, first wins.
    for region in allowed:
        try:
            candidate = phonenumbers.parse(text.strip(), region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(candidate):
            number = candidate
            break
    if number is None:
        raise OwnerError(_("This does not look like a mobile number."))
    if phonenumbers.region_code_for_number(number) not in allowed:
        raise OwnerError(
            _(
                "We can send text messages only to numbers from: %(countries)s.",
                countries=", ".join(allowed),
            )
        )
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise OwnerError(_("This is not a mobile number; text messages need one."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_contact(text: str) -> Contact:
    """An email address or a mobile number as typed by a person."""
    countries = current_app.config.get("SMS_COUNTRIES") or ("NL", "BE")
    if "@" in text:
        return Contact("email", normalize_email(text))
    if not text.strip():
        raise OwnerError(_("Please fill in your email address or mobile number."))
    return Contact("sms", normalize_phone(text, tuple(countries)))


def contact_key(text: str) -> str:
    """The normalised address for rate limiting, or the trimmed text when it is not valid."""
    try:
        return parse_contact(text).address
    except OwnerError:
        return text.strip().lower()


def find_owner(contact: Contact) -> Owner | None:
    """The owner with this email address or number, if any."""
    column = Owner.email if contact.channel == "email" else Owner.phone
    return db.session.scalar(select(Owner).where(column == contact.address))


def is_confirmed(owner: Owner, channel: str | None = None) -> bool:
    """Whether the owner confirmed this channel (or any channel)."""
    if channel == "email":
        return owner.email_verified_at is not None
    if channel == "sms":
        return owner.phone_verified_at is not None
    return owner.email_verified_at is not None or owner.phone_verified_at is not None


def address_of(owner: Owner, channel: str) -> str | None:
    """The owner's address for a channel."""
    return owner.email if channel == "email" else owner.phone


# --- secrets --------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="owner-confirmation")


def _hash(value: str) -> str:
    # Keyed, so a leaked table does not let anyone test the million possible SMS codes offline.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _new_confirmation(
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


def _send_confirmation(owner: Owner, channel: str, purpose: str, secret: str) -> None:
    """Send the one message an unconfirmed address may get: its link or code."""
    channels = channels_from_settings(current_app.config)
    with force_locale(owner.language):
        if channel == "email":
            assert owner.email is not None
            link = confirm_url(secret)
            if purpose == "signup":
                subject = _("Confirm your maintenance reminders")
                intro = _(
                    "Someone (hopefully you) asked for maintenance reminders for an appliance."
                )
                action = _("Open this link to confirm. Without it you will get nothing from us:")
            else:
                subject = _("Your link to My appliances")
                intro = _("You asked to open My appliances.")
                action = _("Open this link within 30 minutes:")
            ignore = _("Did not ask for this? Ignore this message; we will not write again.")
            body = f"{intro}\n\n{action}\n{link}\n\n{ignore}\n"
            domain = current_app.config["BASE_URL"].split("//")[-1].split(":")[0].split("/")[0]
            channels["email"].send(
                EmailMessage(
                    to=owner.email,
                    subject=subject,
                    text=body,
                    html=None,
                    message_id=make_msgid(domain=domain or "localhost"),
                )
            )
        else:
            assert owner.phone is not None
            text = _(
                "Your code: %(code)s (valid %(minutes)s minutes). Did not ask for it? Ignore this.",
                code=secret,
                minutes=SMS_CODE_MINUTES,
            )
            channels["sms"].send(SmsMessage(to=owner.phone, body=text))


# --- sign up and confirm --------------------------------------------------------------------


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
    if not _within_budget(owner, contact.channel, now):
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
    confirmation, secret = _new_confirmation(owner, "signup", contact.channel, now, unit, role)
    record_event("signup", unit=unit, at=now, channel=contact.channel)
    return owner, confirmation, secret


def parse_hour(text: str | None) -> int:
    """An hour of the day typed as 0 to 23 in ASCII digits (9 when not given), or OwnerError."""
    if text is None or text == "":
        return 9
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 0 <= int(text) <= 23:
        raise OwnerError(_("Please choose an hour of the day."))
    return int(text)


def check_role(role: str) -> str:
    """One of the ways to own an appliance, or OwnerError."""
    if role not in ROLES:
        raise OwnerError(_("Please choose how you own this appliance."))
    return role


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
    _send_confirmation(owner, contact.channel, "signup", secret)
    return Pending(confirmation.handle, contact.channel)


@transactional
def _create_login(contact: Contact, now: datetime) -> tuple[Owner, Confirmation, str] | None:
    owner = find_owner(contact)
    if owner is None or not is_confirmed(owner, contact.channel):
        return None
    if not _within_budget(owner, contact.channel, now):
        # Sent nothing, answered as for an unknown address: the form tells nobody who exists.
        return None
    confirmation, secret = _new_confirmation(owner, "login", contact.channel, now, None, None)
    return owner, confirmation, secret


def request_login(contact_text: str, now: datetime) -> Pending:
    """Send a login link or code to a confirmed address (within its message budget).

    The answer looks the same whether or not anything was sent: a handle of the same shape
    that, for an unknown address, names nothing.
    """
    contact = parse_contact(contact_text)
    created = _create_login(contact, now)
    if created is None:
        return Pending(new_handle(), contact.channel)
    owner, confirmation, secret = created
    _send_confirmation(owner, contact.channel, "login", secret)
    return Pending(confirmation.handle, contact.channel)


def _within_budget(owner: Owner, channel: str, now: datetime) -> bool:
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


# --- units ----------------------------------------------------------------------------------


def active_ownerships(owner: Owner) -> list[Ownership]:
    """The owner's current ties to units, oldest first."""
    return list(
        db.session.scalars(
            select(Ownership)
            .where(Ownership.owner_id == owner.id, Ownership.ended_at.is_(None))
            .order_by(Ownership.started_at, Ownership.id)
        )
    )


def owned_unit(owner: Owner, unit_id: int) -> Unit | None:
    """The unit if the owner currently owns it."""
    return db.session.scalar(
        select(Unit)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Unit.id == unit_id, Ownership.owner_id == owner.id, Ownership.ended_at.is_(None))
    )


@transactional
def add_unit(owner: Owner, unit: Unit, now: datetime, role: str = "owner") -> Ownership:
    """Tie a confirmed owner to a unit; other owners of the unit stay as they are."""
    if role not in ROLES:
        raise OwnerError(_("Please choose how you own this appliance."))
    if not is_confirmed(owner):
        raise OwnerError(_("Please confirm your address first."))
    for ownership in active_ownerships(owner):
        if ownership.unit_id == unit.id:
            return ownership
    ownership = Ownership(owner=owner, unit=unit, role=role, started_at=now)
    db.session.add(ownership)
    record_event("confirmed", unit=unit, at=now, channel=owner.channel)
    ensure_schedules(unit, now.date())
    db.session.flush()
    wake_owner(owner.id)  # the unit's schedules may already be past their reminder
    queue_for_new_owner(unit.id, unit.gtin, unit.serial, unit.sold_on, now)  # open recalls
    return ownership


def _drop_pending_reminders(owner_id: int, unit_id: int | None) -> None:
    """Cancel the owner's future reminders (for one unit, or all), leaving sent ones as history."""
    pending = db.session.scalars(
        select(Reminder).where(Reminder.owner_id == owner_id, Reminder.status == "pending")
    ).all()
    for reminder in pending:
        if unit_id is not None and reminder.kind == "notice":
            continue  # a recall still reaches someone who owned an affected unit
        if unit_id is not None:
            for item in list(reminder.items):
                if item.schedule.unit_id == unit_id:
                    reminder.items.remove(item)
            if reminder.items:
                continue
        reminder.status = "cancelled"


@transactional
def end_ownership(owner: Owner, unit: Unit, now: datetime) -> bool:
    """End the owner's own tie to a unit (the unit and its history stay); False if none."""
    ended = False
    for ownership in active_ownerships(owner):
        if ownership.unit_id == unit.id:
            ownership.ended_at = now
            ended = True
    if ended:
        _drop_pending_reminders(owner.id, unit.id)
        record_event("ownership_ended", unit=unit, at=now)
    return ended


def owners_of(unit: Unit) -> int:
    """How many people currently own a unit (no names: owners never see each other)."""
    return len(
        db.session.scalars(
            select(Ownership.id).where(Ownership.unit_id == unit.id, Ownership.ended_at.is_(None))
        ).all()
    )


# --- settings -------------------------------------------------------------------------------


@cache
def canonical_time_zones() -> frozenset[str]:
    """IANA zone names that are zones of their own or a country's zone, from the tzdata package.

    Not every file zoneinfo can open: a folder ("Europe"), "localtime", "posixrules" or
    "Factory" is no place a person lives, and old aliases ("US/Eastern") have a canonical name
    to use instead. A country's own zone stays even where tzdata links it to a neighbour's
    (Europe/Amsterdam to Europe/Brussels since 2022): it is the name people know.
    """
    zoneinfo = files("tzdata").joinpath("zoneinfo")
    data = zoneinfo.joinpath("tzdata.zi").read_text(encoding="utf-8")
    zones = {line.split()[1] for line in data.splitlines() if line.startswith("Z ")}
    countries = zoneinfo.joinpath("zone.tab").read_text(encoding="utf-8")
    zones |= {line.split("\t")[2] for line in countries.splitlines() if not line.startswith("#")}
    return frozenset(zones - {"Factory"})


@dataclass(frozen=True)
class Settings:
    """What an owner can choose about their messages."""

    channel: str
    language: str
    preferred_hour: int
    time_zone: str
    digest: bool
    paused: bool


@transactional
def update_settings(owner: Owner, settings: Settings) -> Owner:
    """Change an owner's message settings after checking them."""
    if settings.channel not in ("email", "sms") or not is_confirmed(owner, settings.channel):
        raise OwnerError(_("You can only choose a confirmed email address or number."))
    if settings.language not in LANGUAGES:
        raise OwnerError(_("Please choose a language."))
    if not 0 <= settings.preferred_hour <= 23:
        raise OwnerError(_("Please choose an hour of the day."))
    if settings.time_zone not in canonical_time_zones():
        raise OwnerError(_("Please choose a time zone from the list."))
    owner.channel = settings.channel
    owner.language = settings.language
    owner.preferred_hour = settings.preferred_hour
    owner.time_zone = settings.time_zone
    owner.digest = settings.digest
    if settings.paused and not owner.paused:
        _drop_pending_reminders(owner.id, None)
    owner.paused = settings.paused
    db.session.flush()
    wake_owner(owner.id)  # resumed or on another channel: remind what is due now
    return owner


# --- export and erase -----------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_data(owner: Owner) -> dict[str, Any]:
    """Everything stored about the owner, as JSON-ready data."""
    ownerships = db.session.scalars(
        select(Ownership).where(Ownership.owner_id == owner.id).order_by(Ownership.id)
    ).all()
    units = []
    for ownership in ownerships:
        unit = ownership.unit
        schedules = db.session.scalars(
            select(TaskSchedule).where(TaskSchedule.unit_id == unit.id).order_by(TaskSchedule.id)
        ).all()
        logs = db.session.scalars(
            select(MaintenanceLog)
            .where(MaintenanceLog.unit_id == unit.id, MaintenanceLog.owner_id == owner.id)
            .order_by(MaintenanceLog.done_on, MaintenanceLog.id)
        ).all()
        units.append(
            {
                "gtin": unit.gtin,
                "serial": unit.serial,
                "unit_code": unit.unit_code,
                "brand": unit.product_model.brand,
                "model": unit.product_model.name,
                "role": ownership.role,
                "from": _iso(ownership.started_at),
                "until": _iso(ownership.ended_at),
                "schedule": [
                    {
                        "task": row.task_key,
                        "next_due": _iso(row.next_due),
                        "snoozed_until": _iso(row.snoozed_until),
                        "last_done_on": _iso(row.last_done_on),
                    }
                    for row in schedules
                ],
                "my_log": [
                    {
                        "task": log.task_key,
                        "action": log.action,
                        "on": _iso(log.done_on),
                        "note": log.note,
                        "source": log.source,
                    }
                    for log in logs
                ],
            }
        )
    consents = db.session.scalars(
        select(Consent).where(Consent.owner_id == owner.id).order_by(Consent.id)
    ).all()
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.owner_id == owner.id).order_by(Reminder.id)
    ).all()
    return {
        "format": "maintenance-owner-export/1",
        "owner": {
            "email": owner.email,
            "phone": owner.phone,
            "email_confirmed_at": _iso(owner.email_verified_at),
            "phone_confirmed_at": _iso(owner.phone_verified_at),
            "channel": owner.channel,
            "language": owner.language,
            "time_zone": owner.time_zone,
            "preferred_hour": owner.preferred_hour,
            "digest": owner.digest,
            "paused": owner.paused,
            "calendar_feed": owner.calendar_token is not None,
            "created_at": _iso(owner.created_at),
        },
        "consents": [
            {
                "channel": consent.channel,
                "text_version": consent.text_version,
                "source": consent.source,
                "given_at": _iso(consent.given_at),
                "withdrawn_at": _iso(consent.withdrawn_at),
            }
            for consent in consents
        ],
        "units": units,
        "messages": [
            {
                "channel": reminder.channel,
                "kind": reminder.kind,
                "send_on": _iso(reminder.send_on),
                "status": reminder.status,
                "sent_at": _iso(reminder.sent_at),
            }
            for reminder in reminders
        ],
    }


def _erase(owner_ids: list[int]) -> None:
    """Delete owners and every row about them; their maintenance logs stay, anonymous."""
    if not owner_ids:
        return
    reminder_ids = select(Reminder.id).where(Reminder.owner_id.in_(owner_ids))
    # Reminders, their items and delivery events may hold addresses and message ids.
    from maintenance.models import DeliveryEvent

    db.session.execute(delete(DeliveryEvent).where(DeliveryEvent.reminder_id.in_(reminder_ids)))
    db.session.execute(delete(ReminderItem).where(ReminderItem.reminder_id.in_(reminder_ids)))
    db.session.execute(delete(Reminder).where(Reminder.owner_id.in_(owner_ids)))
    db.session.execute(delete(Confirmation).where(Confirmation.owner_id.in_(owner_ids)))
    db.session.execute(delete(Consent).where(Consent.owner_id.in_(owner_ids)))
    db.session.execute(delete(Ownership).where(Ownership.owner_id.in_(owner_ids)))
    # Notes are free text a person wrote: they go too; dates and tasks stay for the unit.
    db.session.execute(
        update(MaintenanceLog)
        .where(MaintenanceLog.owner_id.in_(owner_ids))
        .values(owner_id=None, note=None)
    )
    db.session.execute(delete(Owner).where(Owner.id.in_(owner_ids)))
    db.session.expire_all()


@transactional
def delete_owner(owner: Owner) -> None:
    """Erase an owner: contact data, consents, ownerships and future reminders; history stays."""
    _erase([owner.id])


@transactional
def purge_unconfirmed(now: datetime) -> int:
    """Delete sign-ups never confirmed within 7 days, and stale confirmations; returns owners."""
    cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
    stale = list(
        db.session.scalars(
            select(Owner.id).where(
                Owner.email_verified_at.is_(None),
                Owner.phone_verified_at.is_(None),
                Owner.created_at < cutoff,
            )
        )
    )
    _erase(stale)
    db.session.execute(
        delete(Confirmation).where(
            or_(Confirmation.expires_at < cutoff, Confirmation.used_at < cutoff)
        )
    )
    return len(stale)


def get_owner(owner_id: object, secret: object) -> Owner | None:
    """The owner a session names, if they still exist and the session carries their secret.

    An id alone opens nobody: a cookie from before an erasure (or a forged id) has no secret
    that matches the person who holds that id now.
    """
    if type(owner_id) is not int or not isinstance(secret, str):
        return None
    owner = db.session.get(Owner, owner_id)
    if owner is None or not hmac.compare_digest(owner.session_secret.encode(), secret.encode()):
        return None
    return owner
