"""The one time module: time zones fall back to the default, and today is local to a zone."""

from datetime import UTC, date, datetime

from maintenance.clock import local_today, time_zone
from maintenance.services.due_dates import DEFAULT_TIME_ZONE

# 23:30 UTC on 31 December: already 1 January in Amsterdam, still 31 December in New York.
NOW = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)


def test_today_is_the_date_in_the_given_zone() -> None:
    assert local_today("Europe/Amsterdam", NOW) == date(2026, 1, 1)
    assert local_today("America/New_York", NOW) == date(2025, 12, 31)


def test_an_unknown_or_missing_zone_falls_back_to_the_default() -> None:
    assert time_zone("Mars/Olympus_Mons").key == DEFAULT_TIME_ZONE
    assert time_zone(None).key == DEFAULT_TIME_ZONE
    assert local_today("Mars/Olympus_Mons", NOW) == date(2026, 1, 1)
