"""The signed links in a notice message: one short token per delivery, for email and SMS alike."""

# Like the reminder links (services/reminders/links.py): signed with SECRET_KEY under a salt of
# their own and timestamped, but kept valid for a year, because a recall notice is read, forwarded
# and acted on long after a maintenance reminder would be stale.

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from maintenance.services.reminders.links import InvalidLink

MAX_AGE_DAYS = 400
NOTICE_PATH = "/n/"
_SALT = "notice-delivery"


@lru_cache(maxsize=16)
def _signer(secret: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=_SALT)


def make_token(delivery_id: int) -> str:
    """A short token naming one delivery."""
    return _signer(current_app.config["SECRET_KEY"]).sign(f"{delivery_id:x}").decode()


def read_token(token: str) -> int:
    """The delivery id in a token, or InvalidLink."""
    try:
        value = _signer(current_app.config["SECRET_KEY"]).unsign(
            token, max_age=MAX_AGE_DAYS * 24 * 3600
        )
        return int(value.decode(), 16)
    except SignatureExpired as exc:
        raise InvalidLink("expired", expired=True) from exc
    except (BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink("bad signature") from exc


def notice_url(delivery_id: int, action: str = "") -> str:
    """The absolute URL of the notice page ("") or of its "done" / "stop" step."""
    url = current_app.config["BASE_URL"] + NOTICE_PATH + make_token(delivery_id)
    return f"{url}/{action}" if action else url
