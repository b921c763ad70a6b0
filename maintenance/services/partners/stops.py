"""The stop links in service-request emails: the owner's for one request, the partner's for all.

Signed like the notice links (services/signed_ids.py), a salt per kind of stop, and kept valid
for over a year, because a one-click stop (List-Unsubscribe) must keep working however long a
request runs or an email lies in an inbox.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import PartnerProfile, ServiceRequest
from maintenance.services.reminders.links import InvalidLink
from maintenance.services.signed_ids import read_id, sign_id

MAX_AGE_DAYS = 400
STOP_PATH = "/sr/"
PARTNER_STOP_PATH = "/sp/"
_REQUEST_SALT = "service-request-stop"
_PARTNER_SALT = "partner-email-stop"


def _url(path: str, salt: str, number: int) -> str:
    return f"{current_app.config['BASE_URL']}{path}{sign_id(salt, number)}/stop"


def stop_url(request_id: int) -> str:
    """The absolute URL that stops the owner's messages about one request."""
    return _url(STOP_PATH, _REQUEST_SALT, request_id)


def resolve_stop(token: str) -> ServiceRequest:
    """The request a stop token names, or InvalidLink."""
    request = db.session.get(ServiceRequest, read_id(_REQUEST_SALT, token, MAX_AGE_DAYS))
    if request is None:
        raise InvalidLink("unknown request")
    return request


@transactional
def stop_owner_messages(request: ServiceRequest, now: datetime) -> bool:
    """No more messages to the owner about this request; False if they were stopped already."""
    if request.owner_stopped_at is not None:
        return False
    request.owner_stopped_at = now
    return True


def partner_stop_url(partner_id: int) -> str:
    """The absolute URL that stops the emails announcing new requests to a partner."""
    return _url(PARTNER_STOP_PATH, _PARTNER_SALT, partner_id)


def resolve_partner_stop(token: str) -> PartnerProfile:
    """The partner profile a stop token names, or InvalidLink."""
    profile = db.session.get(PartnerProfile, read_id(_PARTNER_SALT, token, MAX_AGE_DAYS))
    if profile is None:
        raise InvalidLink("unknown partner")
    return profile


@transactional
def set_request_emails(profile: PartnerProfile, wanted: bool) -> bool:
    """Turn the partner's emails about new requests on or off; False if nothing changed."""
    if profile.email_requests == wanted:
        return False
    profile.email_requests = wanted
    return True
