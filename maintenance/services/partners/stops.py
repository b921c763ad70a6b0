"""The stop link in the owner's messages about a service request: no more messages about it."""

# Signed like the notice links (services/notices/links.py): SECRET_KEY under a salt of its own,
# timestamped, and kept valid for over a year, because a one-click stop (List-Unsubscribe) must
# keep working however long the request runs.

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import ServiceRequest
from maintenance.services.reminders.links import InvalidLink

MAX_AGE_DAYS = 400
STOP_PATH = "/sr/"
_SALT = "service-request-stop"


@lru_cache(maxsize=16)
def _signer(secret: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=_SALT)


def stop_url(request_id: int) -> str:
    """The absolute URL that stops the owner's messages about one request."""
    token = _signer(current_app.config["SECRET_KEY"]).sign(f"{request_id:x}").decode()
    return f"{current_app.config['BASE_URL']}{STOP_PATH}{token}/stop"


def resolve_stop(token: str) -> ServiceRequest:
    """The request a stop token names, or InvalidLink."""
    try:
        value = _signer(current_app.config["SECRET_KEY"]).unsign(
            token, max_age=MAX_AGE_DAYS * 24 * 3600
        )
        request_id = int(value.decode(), 16)
    except SignatureExpired as exc:
        raise InvalidLink("expired", expired=True) from exc
    except (BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink("bad signature") from exc
    request = db.session.get(ServiceRequest, request_id)
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
