"""The one time module: the current moment, time zones with their fallback, and local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from maintenance.services.due_dates import DEFAULT_TIME_ZONE


def now_utc() -> datetime:
    """The current moment, aware UTC: read here, then passed into the services as `now`."""
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def time_zone(name: str | None) -> ZoneInfo:
    """The time zone of an IANA name; the default zone when the name is empty or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ValueError, KeyError):
        # A stored zone that no longer exists must not stop anyone's reminders or pages.
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_today(zone: str | None, now: datetime) -> date:
    """The calendar date at `now` in a time zone (the default zone when it is unknown)."""
    return now.astimezone(time_zone(zone)).date()


def service_date(now: datetime) -> date:
    """The calendar date at `now` in the service's default time zone."""
    return local_today(current_app.config["DEFAULT_TIME_ZONE"], now)


def service_today() -> date:
    """Today's date in the service's default time zone (sale dates and dashboards use it)."""
    return service_date(now_utc())
