"""The signed links in a notice message: one short token per delivery, for email and SMS alike."""

# Like the reminder links (services/reminders/links.py): signed with SECRET_KEY under a salt of
# their own and timestamped, but kept valid for a year, because a recall notice is read, forwarded
# and acted on long after a maintenance reminder would be stale.

from __future__ import annotations

from flask import current_app

from maintenance.services.signed_ids import read_id, sign_id

MAX_AGE_DAYS = 400
NOTICE_PATH = "/n/"
_SALT = "notice-delivery"


def make_token(delivery_id: int) -> str:
    """A short token naming one delivery."""
    return sign_id(_SALT, delivery_id)


def read_token(token: str) -> int:
    """The delivery id in a token, or InvalidLink."""
    return read_id(_SALT, token, MAX_AGE_DAYS)


def notice_url(delivery_id: int, action: str = "") -> str:
    """The absolute URL of the notice page ("") or of its "done" / "stop" step."""
    url = current_app.config["BASE_URL"] + NOTICE_PATH + make_token(delivery_id)
    return f"{url}/{action}" if action else url
