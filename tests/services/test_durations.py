"""ISO 8601 durations: the whole text, ASCII digits only, and numbers no calendar overflows on."""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta

from maintenance.services.durations import (
    MAX_INTERVAL,
    DurationError,
    longer_than,
    parse_duration,
)


@pytest.mark.parametrize(
    "text",
    ["P1M\n", "P1M ", " P1M", "P\u0661M", "P\uff11M", "P1M\x00", "P²D", "PT1H\n", "P", "PT", "P1"],
)
def test_anything_but_the_whole_text_in_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not an ISO 8601 duration"):
        parse_duration(text)


def test_numbers_of_more_than_four_digits_are_refused_before_any_date_arithmetic() -> None:
    with pytest.raises(DurationError, match="more than 4 digits"):
        parse_duration("P99999Y")
    with pytest.raises(DurationError, match="more than 4 digits"):
        parse_duration("P" + "9" * 5000 + "D")


def test_ordinary_durations_still_parse() -> None:
    assert parse_duration("P1M") == relativedelta(months=1)
    assert parse_duration("P1Y2M3W4DT5H6M7S") == relativedelta(
        years=1, months=2, days=25, hours=5, minutes=6, seconds=7
    )
    assert parse_duration("P9999D") == relativedelta(days=9999)


def test_longer_than_counts_on_the_calendar_and_never_overflows() -> None:
    assert not longer_than(parse_duration("P10Y"), MAX_INTERVAL)
    assert not longer_than(parse_duration("P9Y12M"), MAX_INTERVAL)
    assert longer_than(parse_duration("P10Y1D"), MAX_INTERVAL)
    assert longer_than(parse_duration("P3654D"), MAX_INTERVAL)
    assert longer_than(parse_duration("P9999Y"), MAX_INTERVAL)
