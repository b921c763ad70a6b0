"""A private, revocable iCalendar feed per owner: one all-day event per upcoming task occurrence."""

from __future__ import annotations

import secrets
from datetime import UTC, date, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.i18n import localized
from maintenance.models import Owner
from maintenance.services.due_dates import TaskRule, next_due_after_done
from maintenance.services.notices.pages import notice_events
from maintenance.services.owners.ownership import active_ownerships
from maintenance.services.schedules.plan import upcoming

HORIZON_DAYS = 365
FEED_PATH = "/calendar/"


@transactional
def calendar_token_for(owner: Owner) -> str:
    """The owner's feed token, created on first use."""
    if owner.calendar_token is None:
        owner.calendar_token = secrets.token_urlsafe(32)
    return owner.calendar_token


@transactional
def revoke_calendar(owner: Owner) -> None:
    """Stop the current feed URL from working; a new one is made when asked for."""
    owner.calendar_token = None


def feed_url(token: str) -> str:
    """The absolute URL of a feed."""
    return f"{current_app.config['BASE_URL']}{FEED_PATH}{token}.ics"


def owner_for_token(token: str) -> Owner | None:
    """The owner whose feed this token opens, if any."""
    if not token:
        return None
    return db.session.scalar(select(Owner).where(Owner.calendar_token == token))


def occurrences(rule: TaskRule, start: date, next_due: date, until: date) -> list[date]:
    """The task's due dates from next_due up to `until`, as if each is done on its day."""
    days: list[date] = []
    day = next_due
    while day <= until and len(days) < 400:
        days.append(day)
        day = next_due_after_done(rule, start=start, due=day, done_on=day)
    return days


def build_calendar(owner: Owner, today: date) -> bytes:
    """The owner's feed as RFC 5545 text; same data gives the same bytes."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    calendar = Calendar()
    calendar.add("prodid", "-//maintenance//owner calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    until = today + timedelta(days=HORIZON_DAYS)
    with force_locale(owner.language):
        calendar.add("x-wr-calname", _("Appliance maintenance"))
        for ownership in active_ownerships(owner):
            unit = ownership.unit
            model = unit.product_model
            # A fixed stamp per ownership keeps the feed byte-identical while nothing changes.
            stamp = ownership.started_at.astimezone(UTC).replace(microsecond=0)
            for event in notice_events(unit, today, host, owner.language, stamp):  # recalls
                calendar.add_component(event)
            for item in upcoming(unit, today):
                rule = TaskRule.from_task(item.task)
                title = localized(item.task.spec.get("title"), owner.language)
                for day in occurrences(rule, item.schedule.start_on, item.next_due, until):
                    event = Event()
                    event.add("uid", f"unit-{unit.id}-{item.key}-{day.isoformat()}@{host}")
                    event.add("dtstamp", stamp)
                    event.add("dtstart", day)
                    event.add("dtend", day + timedelta(days=1))
                    event.add("summary", f"{title} ({model.brand} {model.name})")
                    event.add("description", localized(item.task.spec.get("why"), owner.language))
                    event.add("transp", "TRANSPARENT")
                    calendar.add_component(event)
    return calendar.to_ical()
