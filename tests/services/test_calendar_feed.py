"""The private calendar feed: valid iCalendar, stable UIDs, revocable."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from maintenance.models import Owner
from maintenance.services import calendar_feed
from maintenance.services.owners.confirmations import confirm_link
from maintenance.services.owners.signup import request_signup
from maintenance.services.schedules.records import record_done
from tests.builders import make_unit
from tests.fakes import link_in

NOW = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def confirmed_owner(mail, unit) -> Owner:
    request_signup("anna@example.nl", unit, consent=True, now=NOW)
    return confirm_link(link_in(mail.messages[-1]).rsplit("/", 1)[-1], NOW)


def test_feed_has_one_all_day_event_per_occurrence_with_stable_uids(client, library, mail) -> None:
    unit = make_unit(sold_on=date(2024, 1, 10))
    owner = confirmed_owner(mail, unit)
    token = calendar_feed.calendar_token_for(owner)
    url = f"/calendar/{token}.ics"

    first = client.get(url)
    assert first.status_code == 200
    assert first.mimetype == "text/calendar"
    events = Calendar.from_ical(first.data).walk("VEVENT")
    filter_days = sorted(
        event.decoded("dtstart") for event in events if "clean-filter" in str(event["uid"])
    )
    assert filter_days[:3] == [date(2024, 2, 10), date(2024, 3, 10), date(2024, 4, 10)]
    assert all(type(event.decoded("dtstart")) is date for event in events)
    uids = [str(event["uid"]) for event in events]
    assert len(uids) == len(set(uids))

    second = client.get(url)
    assert second.data == first.data  # nothing changed, so nothing in the feed changed

    record_done(unit, "clean-filter", date(2024, 2, 10))
    third = Calendar.from_ical(client.get(url).data).walk("VEVENT")
    later = {str(event["uid"]) for event in third}
    # Events of other tasks keep their UIDs; the filter task starts one month on.
    assert {uid for uid in uids if "clean-filter" not in uid} <= later
    assert not any("clean-filter-2024-02-10@" in uid for uid in later)
    assert any("clean-filter-2024-03-10@" in uid for uid in later)


def test_a_revoked_feed_stops_working(client, library, mail) -> None:
    owner = confirmed_owner(mail, make_unit())
    token = calendar_feed.calendar_token_for(owner)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    calendar_feed.revoke_calendar(owner)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert calendar_feed.calendar_token_for(owner) != token
