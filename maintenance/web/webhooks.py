"""Twilio webhooks: delivery status callbacks and inbound SMS (STOP, START, HELP)."""

# Both verify X-Twilio-Signature against BASE_URL + path (the address Twilio was given), so a
# TLS-terminating proxy in front does not break the check; anything unsigned gets 403.

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from maintenance.clock import now_utc
from maintenance.extensions import csrf
from maintenance.services.reminders.delivery import handle_inbound, record_status

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

P = ParamSpec("P")
R = TypeVar("R")


def twilio_signed(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse requests without a valid X-Twilio-Signature (403)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
        signature = request.headers.get("X-Twilio-Signature", "")
        url = current_app.config["BASE_URL"] + request.full_path.rstrip("?")
        if not token or not signature:
            abort(403)
        if not RequestValidator(token).validate(url, request.form.to_dict(), signature):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.post("/twilio/status")
@twilio_signed
def twilio_status() -> tuple[str, int]:
    """A message status callback: record it, never moving a status backwards."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if sid and status:
        record_status(sid, status, request.form.get("ErrorCode"), now_utc())
    return "", 204


@bp.post("/twilio/inbound")
@twilio_signed
def twilio_inbound() -> Response:
    """An incoming SMS: STOP words suppress, START words resume, HELP answers."""
    reply = handle_inbound(request.form.get("From", ""), request.form.get("Body", ""), now_utc())
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")
