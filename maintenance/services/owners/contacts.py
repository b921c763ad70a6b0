"""An owner's address: an email or mobile number as typed, normalised; the form's other fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import Owner

ROLES = ("owner", "household", "second-hand")

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class OwnerError(ValueError):
    """Input a person can correct; the message is shown to them as it is."""


@dataclass(frozen=True)
class Contact:
    """A normalised address: channel "email" or "sms" and the email or E.164 number."""

    channel: str
    address: str


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
