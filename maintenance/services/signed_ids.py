"""Short signed, timestamped tokens that name one row id: notice links and stop links."""

# SECRET_KEY signs them under a salt per kind of link, so a token for one kind opens nothing of
# another. The id is written in hex to keep the tokens short in an SMS.

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from maintenance.services.reminders.links import InvalidLink


@lru_cache(maxsize=16)
def _signer(secret: str, salt: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=salt)


def sign_id(salt: str, number: int) -> str:
    """A token naming `number` for links of the kind `salt`."""
    return _signer(current_app.config["SECRET_KEY"], salt).sign(f"{number:x}").decode()


def read_id(salt: str, token: str, max_age_days: int) -> int:
    """The id in a token of the kind `salt`, or InvalidLink (forged, damaged or too old)."""
    try:
        value = _signer(current_app.config["SECRET_KEY"], salt).unsign(
            token, max_age=max_age_days * 24 * 3600
        )
        return int(value.decode(), 16)
    except SignatureExpired as exc:
        raise InvalidLink("expired", expired=True) from exc
    except (BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink("bad signature") from exc
