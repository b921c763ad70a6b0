"""Drafting, checking, dry-running, sending and updating notices, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from maintenance.extensions import db
from maintenance.models import AuditEvent, NoticeDelivery, NoticeUnit, Reminder
from maintenance.services.notices import fanout
from maintenance.services.notices.authoring import (
    NoticeConflict,
    add_version,
    create_notice,
    dry_run,
    read_notice,
    send_notice,
)
from maintenance.services.notices.texts import NoticeInvalid
from maintenance.services.owners.ownership import add_unit
from tests.services.notices.builders import (
    GTIN,
    NOW,
    OTHER_GTIN,
    make_maker,
    make_other_maker,
    make_owner,
    make_units,
    recall_body,
    version_body,
)


def problems_of(body: dict, user) -> dict[str, str]:
    with pytest.raises(NoticeInvalid) as caught:
        read_notice(body, user)
    return {p.path: p.message for p in caught.value.problems}


def test_a_recall_without_hazard_instruction_or_remedy_is_refused_where_it_is_missing(ctx) -> None:
    user, _model = make_maker()
    body = recall_body()
    del body["texts"]["en"]["hazard"]
    body["texts"]["nl"]["instruction"] = "  "
    body["remedies"] = []
    found = problems_of(body, user)
    assert "GPSR Art. 36" in found["texts.en.hazard"]
    assert "texts.nl.instruction" in found
    assert "repair, replacement or refund" in found["remedies"]
    assert db.session.scalar(select(func.count()).select_from(NoticeUnit)) == 0


@pytest.mark.parametrize(
    ("language", "field", "text", "word"),
    [
        ("en", "hazard", "This is a voluntary recall.", "voluntary"),
        ("en", "instruction", "As a precautionary measure, unplug it.", "precautionary"),
        ("en", "hazard", "In rare situations the lock fails.", "in rare situations"),
        ("nl", "hazard", "Dit is een vrijwillige terugroepactie.", "vrijwillig"),
        (
            "nl",
            "instruction",
            "Uit voorzorg vragen wij u de stekker eruit te halen.",
            "uit voorzorg",
        ),
        ("nl", "hazard", "In zeldzame gevallen faalt het slot.", "in zeldzame gevallen"),
    ],
)
def test_softening_words_are_refused_in_a_recall(ctx, language, field, text, word) -> None:
    user, _model = make_maker()
    body = recall_body()
    body["texts"][language][field] = text
    found = problems_of(body, user)
    assert f"'{word}' plays the hazard down" in found[f"texts.{language}.{field}"]


def test_a_service_notice_may_say_precautionary(ctx) -> None:
    user, _model = make_maker()
    body = recall_body(kind="service", remedies=[])
    body["texts"]["en"]["instruction"] = "As a precautionary measure we update the software."
    assert read_notice(body, user).kind == "service"


def test_a_manufacturer_selects_only_its_own_gtins(ctx) -> None:
    user, _model = make_maker()
    make_other_maker()
    found = problems_of(recall_body(gtins=[OTHER_GTIN]), user)
    assert "another manufacturer" in found["gtins[0]"]


def test_bad_ranges_and_dates_are_located(ctx) -> None:
    user, _model = make_maker()
    body = recall_body(
        serials={"ranges": [["SN0199", "SN0100"], ["AB1", "CD9"]], "list": ["ok1", "bad serial"]},
        sold_from="2024-13-01",
    )
    found = problems_of(body, user)
    assert "above the last" in found["serials.ranges[0]"]
    assert "same letters" in found["serials.ranges[1]"]
    assert "space" in found["serials.list[1]"]
    assert "YYYY-MM-DD" in found["sold_from"]


def test_dry_run_counts_units_reachable_owners_and_channels(ctx) -> None:
    user, model = make_maker()
    a, b, c, d, _outside = make_units(model, "SN0100", "SN0150", "SN0151", "SN0199", "SN0200")
    make_owner(a, channel="email")
    make_owner(a, channel="sms")  # a household: two owners of one unit
    make_owner(b, channel="email", paused=True)  # paused reminders still get a recall
    make_owner(c, channel="sms", suppressed=True)  # sent STOP
    counts = dry_run(read_notice(recall_body(), user).selection)
    assert counts.units == 4
    assert counts.units_reachable == 2
    assert counts.units_without_owner == 1  # d
    assert counts.owners == 3 and counts.by_channel == {"email": 2, "sms": 1}
    assert counts.owners_unreachable == 1
    assert d.serial == "SN0199"


def test_sending_queues_one_message_per_reachable_owner_however_many_units(ctx) -> None:
    user, model = make_maker()
    a, b, c = make_units(model, "SN0101", "SN0102", "SN0103")
    both = make_owner(a, b, channel="email")
    stopped = make_owner(c, channel="sms", suppressed=True)
    notice = create_notice(read_notice(recall_body(), user), user, NOW)
    assert notice.status == "draft"
    send_notice(notice, user, NOW)
    rows = list(db.session.scalars(select(Reminder)))
    assert [(r.owner_id, r.kind, r.priority, r.channel) for r in rows] == [
        (both.id, "notice", 1, "email")
    ]
    deliveries = {d.owner_id: d for d in db.session.scalars(select(NoticeDelivery))}
    assert deliveries[stopped.id].failure == "bounced or opted out"
    assert db.session.scalar(select(func.count()).select_from(NoticeUnit)) == 3
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["notice.create", "notice.send"]
    with pytest.raises(NoticeConflict):
        send_notice(notice, user, NOW)


def test_a_new_version_goes_to_the_same_owners_as_an_update_never_twice(ctx) -> None:
    user, model = make_maker()
    [unit] = make_units(model, "SN0110")
    owner = make_owner(unit)
    notice = create_notice(read_notice(recall_body(), user), user, NOW)
    send_notice(notice, user, NOW)
    with pytest.raises(NoticeInvalid) as caught:
        add_version(notice, version_body(), user, NOW)  # an update must say what changed
    assert {p.path for p in caught.value.problems} == {"texts.nl.update", "texts.en.update"}
    body = version_body(update="New lock parts are in stock.")
    version = add_version(notice, body, user, NOW + timedelta(days=2))
    fanout.fan_out(NOW + timedelta(days=2))
    rows = list(db.session.scalars(select(Reminder).order_by(Reminder.id)))
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in rows] == ["v1", "v2"]
    assert {r.owner_id for r in rows} == {owner.id}
    # The first message had not gone yet: the update replaces it instead of following it.
    assert rows[0].status == "cancelled" and rows[1].status == "pending"
    assert version.number == 2
    assert db.session.scalar(select(func.count()).select_from(NoticeDelivery)) == 1


def test_fan_out_resumes_chunk_by_chunk(ctx) -> None:
    user, model = make_maker()
    units = make_units(model, *(f"SN01{n:02d}" for n in range(10)))
    for unit in units:
        make_owner(unit)
    notice = create_notice(read_notice(recall_body(), user), user, NOW)
    notice.status, notice.sent_at = "sent", NOW  # as send_notice, without its first chunk
    db.session.commit()
    first = fanout.fan_out_chunk(notice.id, NOW, limit=4)
    assert first is not None and first.messages == 4 and notice.queued_after_unit_id == units[3].id
    # A crash here loses nothing: the next pass starts after the committed cursor.
    rest = fanout.fan_out(NOW)
    assert rest.messages == 6 and rest.notices_done == 1
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 10
    assert fanout.fan_out(NOW).messages == 0


def test_a_unit_registered_after_the_notice_gets_it_at_registration(ctx) -> None:
    user, model = make_maker()
    [unit, outside] = make_units(model, "SN0120", "SN0999", sold_on=date(2024, 2, 1))
    notice = create_notice(read_notice(recall_body(), user), user, NOW)
    send_notice(notice, user, NOW)
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    newcomer = make_owner()
    add_unit(newcomer, unit, NOW + timedelta(days=1))
    add_unit(newcomer, outside, NOW + timedelta(days=1))
    [row] = db.session.scalars(select(Reminder)).all()
    assert row.owner_id == newcomer.id and row.kind == "notice"


def test_sale_window_keeps_units_without_a_sale_date(ctx) -> None:
    user, model = make_maker()
    make_units(model, "SN0101", sold_on=date(2023, 5, 1))
    make_units(model, "SN0102", sold_on=date(2024, 3, 1))
    make_units(model, "SN0103")
    body = recall_body(sold_from="2024-01-01", sold_until="2024-06-30")
    counts = dry_run(read_notice(body, user).selection)
    assert counts.units == 2


def test_serial_ranges_compare_numbers_of_the_same_width(ctx) -> None:
    user, model = make_maker()
    make_units(model, "SN0100", "SN0199", "SN150", "SN01000", "XX0150", "SN0099")
    counts = dry_run(read_notice(recall_body(), user).selection)
    assert counts.units == 2
    assert GTIN
