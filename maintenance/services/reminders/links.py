"""Signed, expiring links in reminder messages: one salt per action, so a token fits one door."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping
from functools import cached_property, lru_cache
from typing import Any

from flask import current_app
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import int_to_bytes

# Long enough for a reminder read late or snoozed twice; short enough that old mail goes stale.
DEFAULT_MAX_AGE_DAYS = 60

# The paths the links open; maintenance.web.actions serves them.
ACTION_PATHS = {
    "done": "/a/done/",
    "snooze": "/a/snooze/",
    "steps": "/a/steps/",
    "pace": "/a/pace/",
    # A professional task's "Find a service partner": to the owner's find page, via login.
    "partners": "/a/partners/",
    "unsubscribe": "/a/unsubscribe/",
}
SHORT_PATH = "/r/"
# What itsdangerous' compact JSON gives (json.dumps with these options), with one encoder kept.
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# What that encoder writes for a text (not escaped to ASCII, as itsdangerous asks).
_json_string = json.encoder.encode_basestring
_SHORT_SALT = "reminder-short"


class InvalidLink(Exception):
    """A token that is forged, damaged, expired or for another action."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def _max_age() -> int:
    return int(current_app.config.get("LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)) * 24 * 3600


def payload_json(payload: Mapping[str, Any]) -> str:
    """The compact JSON itsdangerous signs (its serializer's dumps); flat payloads written directly.

    Every link's payload maps names to ints and texts; anything else goes through json.
    """
    parts = []
    for key, value in payload.items():
        if type(key) is not str:
            return _compact_json(payload)
        if type(value) is int:  # exactly int: json writes True as true
            text = int.__repr__(value)
        elif type(value) is str:
            text = _json_string(value)
        else:
            return _compact_json(payload)
        parts.append(f"{_json_string(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def _b64(data: bytes) -> bytes:
    """itsdangerous' base64_encode for bytes: URL-safe, without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class _LinkSerializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer whose dumps keeps its HMAC key and writes the token directly.

    The token is the one URLSafeTimedSerializer.dumps gives, except that the payload is never
    zlib-compressed (itsdangerous compresses a link's few dozen bytes only when that saves two);
    loads is itsdangerous' own and reads both. Why it stays: docs/benchmarks.md; the tokens are
    compared with itsdangerous' in tests/services/reminders/test_links.py.
    """

    _last_timestamp: tuple[int, bytes] = (-1, b"")

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        """The token URLSafeTimedSerializer.dumps gives for obj, uncompressed."""
        if salt is not None:
            return super().dumps(obj, salt)
        value = _b64(payload_json(obj).encode()) + b"." + self._timestamp()
        mac = self._hmac.copy()
        mac.update(value)
        return (value + b"." + _b64(mac.digest())).decode()

    def _timestamp(self) -> bytes:
        """The signer's timestamp, encoded; the same for every token made within a second."""
        now = self._signer.get_timestamp()
        made, encoded = self._last_timestamp
        if made != now:
            encoded = _b64(int_to_bytes(now))
            # One tuple, so another thread reads a consistent pair.
            self._last_timestamp = (now, encoded)
        return encoded

    @cached_property
    def _signer(self) -> TimestampSigner:
        signer = self.make_signer()
        assert isinstance(signer, TimestampSigner), "a timed serializer signs with timestamps"
        return signer

    @cached_property
    def _hmac(self) -> hmac.HMAC:
        """The signer's HMAC keyed once; each token copies it (hashlib's, not Python's, by name)."""
        signer = self._signer
        return hmac.new(signer.derive_key(), digestmod=signer.digest_method().name)


@lru_cache(maxsize=64)
def _serializer_for(secret: str, salt: str) -> _LinkSerializer:
    # Kept: a message carries four links or more, and each new serializer would make its
    # signer and derive its key again. Keyed by the secret too, so a changed SECRET_KEY is used.
    return _LinkSerializer(secret, salt=salt)


def _serializer(action: str, secret: str | None = None) -> URLSafeTimedSerializer:
    if action not in ACTION_PATHS:
        raise ValueError(f"unknown link action {action!r}")
    return _serializer_for(secret or current_app.config["SECRET_KEY"], f"reminder-{action}")


def make_token(action: str, payload: dict[str, Any]) -> str:
    """A signed, timestamped token for one action."""
    return _serializer(action).dumps(payload)


def read_token(action: str, token: str) -> dict[str, Any]:
    """The payload of a token for this action, or InvalidLink."""
    try:
        payload = _serializer(action).loads(token, max_age=_max_age())
    except SignatureExpired as exc:
        raise InvalidLink("expired", expired=True) from exc
    except BadSignature as exc:
        raise InvalidLink("bad signature") from exc
    if not isinstance(payload, dict):
        raise InvalidLink("bad payload")
    return payload


def action_url(action: str, payload: dict[str, Any]) -> str:
    """The absolute URL (on BASE_URL) of a signed action link."""
    return Links(current_app.config).action_url(action, payload)


class Links:
    """Signed link URLs for one app: BASE_URL and SECRET_KEY read once for a message's links."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.base_url: str = config["BASE_URL"]
        self.secret: str = config["SECRET_KEY"]

    def action_url(self, action: str, payload: dict[str, Any]) -> str:
        """The absolute URL of a signed action link (as the module's action_url)."""
        token = _serializer(action, self.secret).dumps(payload)
        return self.base_url + ACTION_PATHS[action] + token


@lru_cache(maxsize=16)
def _short_signer_for(secret: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=_SHORT_SALT)


def _short_signer() -> TimestampSigner:
    return _short_signer_for(current_app.config["SECRET_KEY"])


def make_short_token(reminder_id: int) -> str:
    """A short token naming one reminder, for the single link in an SMS."""
    return _short_signer().sign(_base36(reminder_id)).decode()


def read_short_token(token: str) -> int:
    """The reminder id in a short token, or InvalidLink."""
    try:
        value = _short_signer().unsign(token, max_age=_max_age()).decode()
        return int(value, 36)
    except SignatureExpired as exc:
        raise InvalidLink("expired", expired=True) from exc
    except (BadSignature, ValueError) as exc:
        raise InvalidLink("bad signature") from exc


def short_url(reminder_id: int) -> str:
    """The absolute short URL of a reminder's task page."""
    return current_app.config["BASE_URL"] + SHORT_PATH + make_short_token(reminder_id)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text
