"""Delivery reports and replies from providers: Twilio status callbacks and inbound SMS keywords."""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import DeliveryEvent, Owner, Reminder
from maintenance.services.events import record_event, record_reminder
from maintenance.services.notices.outbox import record_failed
from maintenance.services.reminders.reachability import suppress_channel
from maintenance.services.reminders.render import language_of
from maintenance.services.schedules.plan import wake_owner

logger = logging.getLogger("maintenance.services.reminders")

# A status only ever moves forward; a late "sent" after "delivered" is recorded but changes nothing.
STATUS_RANK = {"pending": 0, "sending": 1, "sent": 2, "undelivered": 3, "failed": 3, "delivered": 4}
REPORTED = {"delivered", "undelivered", "failed"}
# Twilio reports 21610 when the recipient has replied STOP to our sender.
OPTED_OUT_CODE = "21610"

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}


@transactional
def record_status(
    provider_id: str, status: str, error_code: str | None, at: datetime
) -> Reminder | None:
    """Record a provider status report for the reminder it names; returns that reminder."""
    reminder = db.session.scalar(
        select(Reminder).where(Reminder.provider_id == provider_id).with_for_update()
    )
    if reminder is None:
        logger.info("status %s for unknown message %s", status, provider_id)
        return None
    status = status.lower()
    db.session.add(
        DeliveryEvent(reminder_id=reminder.id, at=at, status=status, code=error_code or None)
    )
    if status in REPORTED and STATUS_RANK[status] > STATUS_RANK.get(reminder.status, 0):
        reminder.status = status
        record_reminder(
            "reminder_delivered" if status == "delivered" else "reminder_failed", reminder, at
        )
        if status != "delivered":
            reminder.last_error = f"provider reported {status}" + (
                f" (code {error_code})" if error_code else ""
            )
            if reminder.kind == "notice":
                record_failed([reminder.id], at, reminder.last_error)
    if error_code == OPTED_OUT_CODE:
        suppress_channel(reminder.owner_id, reminder.channel, at, reason="recipient opted out")
    return reminder


def _owner_by_phone(number: str) -> Owner | None:
    return db.session.scalar(select(Owner).where(Owner.phone == number))


@transactional
def handle_inbound(from_number: str, body: str, at: datetime) -> str | None:
    """Act on an SMS keyword from a number; the reply text to send back, if any."""
    word = body.strip().split()[0].upper() if body.strip() else ""
    owner = _owner_by_phone(from_number)
    if word in STOP_WORDS:
        # Twilio itself confirms the opt-out to the sender; we only stop sending.
        if owner is not None:
            suppress_channel(owner.id, "sms", at, reason=f"replied {word}")
            record_event("unsubscribed", at=at, channel="sms")
        return None
    if word in START_WORDS:
        if owner is not None and owner.phone_suppressed_at is not None:
            owner.phone_suppressed_at = None
            db.session.flush()
            wake_owner(owner.id)
            logger.info("owner %s: sms resumed", owner.id)
        return None
    if word in HELP_WORDS:
        with force_locale(language_of(owner) if owner is not None else "nl"):
            return _(
                "Maintenance reminders for your appliances. Reply STOP to stop, START to resume. "
                "Manage your reminders at the link in our messages."
            )
    return None


def failed_reminders(limit: int = 200) -> list[tuple[Reminder, Owner]]:
    """The most recent failed reminders with their owners, for the admin's delivery page."""
    return list(
        db.session.execute(
            select(Reminder, Owner)
            .join(Owner, Owner.id == Reminder.owner_id)
            .where(Reminder.status.in_(("failed", "undelivered")))
            .order_by(Reminder.next_attempt_at.desc(), Reminder.id.desc())
            .limit(limit)
        ).tuples()
    )
