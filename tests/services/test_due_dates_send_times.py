"""Digests and send times: the owner's local hour across DST, never in the quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.services.due_dates import (
    digest_date,
    is_quiet_hours,
    next_send_window,
    send_hour,
    send_time,
    tasks_due_within,
)

AMSTERDAM = "Europe/Amsterdam"
QUICK = settings(max_examples=200, deadline=None)


def local(moment: datetime, tz: str) -> datetime:
    """A UTC moment as the owner's wall clock shows it."""
    return moment.astimezone(ZoneInfo(tz))


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


# --- digests --------------------------------------------------------------------------------


def test_a_digest_goes_when_the_first_task_falls_due_and_carries_the_week() -> None:
    dues = {
        "filter": date(2024, 5, 3),
        "descale": date(2024, 5, 9),
        "seal": date(2024, 5, 10),
        "overdue-door": date(2024, 4, 20),
    }
    assert digest_date(dues.values()) == date(2024, 4, 20)
    assert tasks_due_within(dues, today=date(2024, 5, 3)) == ["overdue-door", "filter", "descale"]


def test_a_digest_needs_a_due_date() -> None:
    with pytest.raises(ValueError, match="at least one due date"):
        digest_date([])


# --- send times -----------------------------------------------------------------------------


def test_same_local_hour_across_the_spring_dst_change_in_amsterdam() -> None:
    before = send_time(date(2025, 3, 29), AMSTERDAM, 9)
    after = send_time(date(2025, 3, 30), AMSTERDAM, 9)
    assert before == utc(2025, 3, 29, 8)
    assert after == utc(2025, 3, 30, 7)
    assert local(before, AMSTERDAM).hour == local(after, AMSTERDAM).hour == 9


def test_same_local_hour_across_the_autumn_dst_change_in_amsterdam() -> None:
    assert send_time(date(2025, 10, 25), AMSTERDAM, 19) == utc(2025, 10, 25, 17)
    assert send_time(date(2025, 10, 26), AMSTERDAM, 19) == utc(2025, 10, 26, 18)


def test_a_us_time_zone_keeps_its_local_hour_across_its_own_dst_change() -> None:
    assert send_time(date(2025, 3, 8), "America/New_York", 10) == utc(2025, 3, 8, 15)
    assert send_time(date(2025, 3, 9), "America/New_York", 10) == utc(2025, 3, 9, 14)


def test_a_preferred_hour_in_the_quiet_hours_is_moved_into_the_day() -> None:
    assert local(send_time(date(2024, 7, 1), AMSTERDAM, 22), AMSTERDAM).hour == 20
    assert local(send_time(date(2024, 7, 1), AMSTERDAM, 5), AMSTERDAM).hour == 8
    assert send_hour(21) == 20
    assert send_hour(8) == 8


def test_a_day_that_a_time_zone_skipped_sends_on_the_next_local_day() -> None:
    # Samoa moved across the date line: 30 December 2011 did not exist there.
    moment = local(send_time(date(2011, 12, 30), "Pacific/Apia", 9), "Pacific/Apia")
    assert (moment.date(), moment.hour) == (date(2011, 12, 31), 9)


@pytest.mark.parametrize(
    ("tz", "hour", "message"),
    [
        ("Europe/Atlantis", 9, "'Europe/Atlantis' is not a known time zone"),
        ("", 9, "'' is not a known time zone"),
        (AMSTERDAM, 24, "a preferred hour is 0..23"),
    ],
)
def test_an_unknown_time_zone_or_hour_is_refused(tz: str, hour: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        send_time(date(2024, 7, 1), tz, hour)


def test_quiet_hours_run_from_21_00_to_08_00_local() -> None:
    # Amsterdam is UTC+2 in summer.
    assert not is_quiet_hours(utc(2024, 7, 1, 18, 59), AMSTERDAM)
    assert is_quiet_hours(utc(2024, 7, 1, 19, 0), AMSTERDAM)
    assert is_quiet_hours(utc(2024, 7, 1, 5, 59), AMSTERDAM)
    assert not is_quiet_hours(utc(2024, 7, 1, 6, 0), AMSTERDAM)


def test_quiet_hours_refuse_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_quiet_hours(datetime(2024, 7, 1, 12), AMSTERDAM)


def test_next_send_window_waits_for_the_send_hour_and_skips_the_night() -> None:
    # Amsterdam summer: 09:00 local is 07:00 UTC.
    assert next_send_window(utc(2024, 7, 1, 1), AMSTERDAM, 9) == utc(2024, 7, 1, 7)
    assert next_send_window(utc(2024, 7, 1, 6, 30), AMSTERDAM, 9) == utc(2024, 7, 1, 7)
    assert next_send_window(utc(2024, 7, 1, 12, 5), AMSTERDAM, 9) == utc(2024, 7, 1, 12, 5)
    assert next_send_window(utc(2024, 7, 1, 19, 30), AMSTERDAM, 9) == utc(2024, 7, 2, 7)
    assert next_send_window(utc(2024, 7, 1, 22), AMSTERDAM, 9) == utc(2024, 7, 2, 7)


# --- properties -----------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
ZONES = [
    AMSTERDAM,
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Khartoum",
    "UTC",
]
zones = st.sampled_from(ZONES)
hours = st.integers(min_value=0, max_value=23)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2049, 12, 31), timezones=st.just(UTC)
)


@QUICK
@given(due=dates, tz=zones, hour=hours)
def test_send_time_is_always_between_08_00_and_21_00_local(due: date, tz: str, hour: int) -> None:
    moment = send_time(due, tz, hour)
    assert moment.tzinfo == UTC
    assert 8 <= local(moment, tz).hour < 21
    assert not is_quiet_hours(moment, tz)


@QUICK
@given(now=moments, tz=zones, hour=hours)
def test_next_send_window_is_the_earliest_allowed_moment(now: datetime, tz: str, hour: int) -> None:
    window = next_send_window(now, tz, hour)
    assert window >= now
    assert not is_quiet_hours(window, tz)
    assert local(window, tz).hour >= send_hour(hour)
    assert next_send_window(window, tz, hour) == window
