"""Logging in without a password: a link or code to a confirmed address; the session's owner."""

from __future__ import annotations

import hmac
from datetime import datetime

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Confirmation, Owner
from maintenance.models.confirmation import new_handle
from maintenance.services.owners.confirmations import (
    Pending,
    new_confirmation,
    send_confirmation,
    within_budget,
)
from maintenance.services.owners.contacts import Contact, find_owner, is_confirmed, parse_contact


@transactional
def _create_login(contact: Contact, now: datetime) -> tuple[Owner, Confirmation, str] | None:
    owner = find_owner(contact)
    if owner is None or not is_confirmed(owner, contact.channel):
        return None
    if not within_budget(owner, contact.channel, now):
        # Sent nothing, answered as for an unknown address: the form tells nobody who exists.
        return None
    confirmation, secret = new_confirmation(owner, "login", contact.channel, now, None, None)
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
    send_confirmation(owner, contact.channel, "login", secret)
    return Pending(confirmation.handle, contact.channel)


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
