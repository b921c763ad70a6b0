"""Owner service: double opt-in by email and SMS, ownership, export, erasure, purging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from maintenance.extensions import db as _db
from maintenance.models import (
    Confirmation,
    Consent,
    MaintenanceLog,
    Owner,
    Ownership,
    Reminder,
    ReminderItem,
    TaskSchedule,
)
from maintenance.services.owners.confirmations import (
    MAX_CODE_ATTEMPTS,
    SIGNUP_LINK_HOURS,
    ConfirmationFailed,
    confirm_code,
    confirm_link,
)
from maintenance.services.owners.contacts import OwnerError, normalize_email, normalize_phone
from maintenance.services.owners.erase import delete_owner, purge_unconfirmed
from maintenance.services.owners.export import export_data
from maintenance.services.owners.login import request_login
from maintenance.services.owners.ownership import (
    active_ownerships,
    end_ownership,
    owned_unit,
    owners_of,
)
from maintenance.services.owners.settings import Settings, update_settings
from maintenance.services.owners.signup import CONSENT_TEXT_VERSION, request_signup
from maintenance.services.schedules.records import record_done
from tests.builders import make_unit
from tests.fakes import code_in, link_in

NOW = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def sign_up_by_email(mail, unit, address: str = "anna@example.nl", role: str = "owner") -> Owner:
    """Sign up and follow the link from the received email."""
    before = len(mail.messages)
    request_signup(address, unit, consent=True, now=NOW, role=role)
    assert len(mail.messages) == before + 1
    return confirm_link(token_of(link_in(mail.messages[-1])), NOW)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12345678", "+31612345678"),
        ("0612345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("0470 12 34 56", "+32470123456"),
    ],
)
def test_mobile_numbers_are_stored_in_e164(ctx, typed: str, stored: str) -> None:
    assert normalize_phone(typed, ("NL", "BE")) == stored


@pytest.mark.parametrize("typed", ["+49 151 23456789", "020 123 4567", "12", "not a number"])
def test_numbers_outside_the_allowlist_or_not_mobile_are_refused(ctx, typed: str) -> None:
    with pytest.raises(OwnerError):
        normalize_phone(typed, ("NL", "BE"))


def test_email_sign_up_sends_one_link_and_adds_the_unit_once_confirmed(ctx, library, mail) -> None:
    unit = make_unit()
    request_signup("Anna@Example.NL ", unit, consent=True, now=NOW, language="en")
    owner = _db.session.scalar(select(Owner))
    assert owner.email == "anna@example.nl" and owner.email_verified_at is None
    assert active_ownerships(owner) == []
    [message] = mail.messages
    assert message["To"] == "anna@example.nl"
    consent = _db.session.scalar(select(Consent))
    assert consent.text_version == CONSENT_TEXT_VERSION and consent.channel == "email"

    confirmed = confirm_link(token_of(link_in(message)), NOW + timedelta(hours=1))
    assert confirmed.email_verified_at is not None
    assert [o.unit_id for o in active_ownerships(confirmed)] == [unit.id]
    assert _db.session.scalars(select(TaskSchedule)).all()


def test_a_link_works_once_and_not_after_it_expires(ctx, library, mail) -> None:
    unit = make_unit()
    request_signup("anna@example.nl", unit, consent=True, now=NOW)
    token = token_of(link_in(mail.messages[-1]))
    with pytest.raises(ConfirmationFailed):
        confirm_link(token, NOW + timedelta(hours=SIGNUP_LINK_HOURS, seconds=1))
    confirm_link(token, NOW)
    with pytest.raises(ConfirmationFailed):
        confirm_link(token, NOW)
    with pytest.raises(ConfirmationFailed):
        confirm_link(token[:-2] + "xx", NOW)


def test_sms_sign_up_sends_a_code_and_limits_guesses(ctx, library, sms) -> None:
    unit = make_unit()
    pending = request_signup("06 12345678", unit, consent=True, now=NOW)
    [message] = sms.messages
    assert message["to"] == "+31612345678"
    code = code_in(message["body"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_CODE_ATTEMPTS):
        with pytest.raises(ConfirmationFailed):
            confirm_code(pending.handle, wrong, NOW)
    # No language chosen yet: the person signing up reads Dutch, the default.
    with pytest.raises(ConfirmationFailed, match="Te vaak een verkeerde code"):
        confirm_code(pending.handle, code, NOW)

    again = request_signup("+31612345678", unit, consent=True, now=NOW)
    owner = confirm_code(again.handle, code_in(sms.messages[-1]["body"]), NOW)
    assert owner.phone == "+31612345678" and owner.phone_verified_at is not None
    assert len(active_ownerships(owner)) == 1
    secrets_stored = _db.session.scalars(select(Confirmation.secret_hash)).all()
    assert all(code_in(m["body"]) not in secret for m in sms.messages for secret in secrets_stored)


def test_consent_is_required(ctx, library, mail) -> None:
    unit = make_unit()
    with pytest.raises(OwnerError):
        request_signup("anna@example.nl", unit, consent=False, now=NOW)
    assert mail.messages == []
    assert _db.session.scalars(select(Owner)).all() == []


def test_login_is_sent_only_to_confirmed_addresses(ctx, library, mail) -> None:
    unit = make_unit()
    request_signup("bob@example.nl", unit, consent=True, now=NOW)
    request_login("bob@example.nl", NOW)
    request_login("nobody@example.nl", NOW)
    assert len(mail.messages) == 1  # only the sign-up confirmation

    sign_up_by_email(mail, unit, "anna@example.nl")
    request_login("anna@example.nl", NOW)
    assert len(mail.messages) == 3
    owner = confirm_link(token_of(link_in(mail.messages[-1])), NOW)
    assert owner.email == "anna@example.nl"


def _parts(message) -> tuple[str, str]:
    """The plain text (with the line ends as written) and the HTML of a received email."""
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(preferencelist=("html",)).get_content()


def test_the_sign_up_email_is_in_the_language_chosen_with_the_link_in_both_parts(
    ctx, library, mail
) -> None:
    unit = make_unit()
    request_signup("anna@example.nl", unit, consent=True, now=NOW, language="nl")
    request_signup("ben@example.nl", unit, consent=True, now=NOW, language="en")
    dutch, english = mail.messages

    assert dutch["Subject"] == "Bevestig je onderhoudsherinneringen"
    text, html = _parts(dutch)
    link = text.splitlines()[3]
    assert link.startswith("http") and link.endswith(link_in(dutch))
    assert text == (
        "Iemand (hopelijk jij) heeft onderhoudsherinneringen voor een apparaat aangevraagd.\n\n"
        "Open deze link om te bevestigen. Zonder bevestiging krijg je niets van ons:\n"
        f"{link}\n\n"
        "Niet zelf aangevraagd? Negeer dan dit bericht; je hoort verder niets van ons.\n"
    )
    assert '<html lang="nl">' in html and f'<a href="{link}">' in html
    assert "Zonder bevestiging krijg je niets van ons" in html

    assert english["Subject"] == "Confirm your maintenance reminders"
    text, html = _parts(english)
    assert text.startswith(
        "Someone (hopefully you) asked for maintenance reminders for an appliance.\n\n"
        "Open this link to confirm. Without it you will get nothing from us:\n"
    )
    assert text.endswith("Did not ask for this? Ignore this message; we will not write again.\n")
    assert '<html lang="en">' in html and link_in(english) in html


def test_the_login_email_gives_a_link_valid_for_half_an_hour(ctx, library, mail) -> None:
    unit = make_unit()
    request_signup("ben@example.nl", unit, consent=True, now=NOW, language="en")
    confirm_link(token_of(link_in(mail.messages[-1])), NOW)
    request_login("ben@example.nl", NOW)
    message = mail.messages[-1]

    assert message["Subject"] == "Your link to My appliances"
    text, html = _parts(message)
    assert text.startswith(
        "You asked to open My appliances.\n\nOpen this link within 30 minutes:\nhttp://"
    )
    link = text.splitlines()[3]
    assert link.endswith(link_in(message)) and f'<a href="{link}">' in html


def test_a_second_owner_leaves_the_first_intact(ctx, library, mail) -> None:
    unit = make_unit()
    anna = sign_up_by_email(mail, unit, "anna@example.nl")
    bram = sign_up_by_email(mail, unit, "bram@example.nl", role="household")
    assert [o.unit_id for o in active_ownerships(anna)] == [unit.id]
    assert [o.role for o in active_ownerships(bram)] == ["household"]
    assert owners_of(unit) == 2
    end_ownership(bram, unit, NOW)
    assert owners_of(unit) == 1
    assert owned_unit(anna, unit.id) is not None


def test_second_hand_buyer_gets_history_without_earlier_personal_data(ctx, library, mail) -> None:
    unit = make_unit()
    anna = sign_up_by_email(mail, unit, "anna@example.nl")
    record_done(unit, "clean-filter", date(2024, 2, 20), owner=anna, note="Anna's kitchen")
    end_ownership(anna, unit, NOW)
    buyer = sign_up_by_email(mail, unit, "chris@example.nl", role="second-hand")
    exported = export_data(buyer)
    text_of_export = str(exported)
    assert "anna" not in text_of_export.lower()
    assert exported["units"][0]["role"] == "second-hand"
    assert exported["units"][0]["my_log"] == []
    next_due = {row["task"]: row["next_due"] for row in exported["units"][0]["schedule"]}
    assert next_due["clean-filter"] == "2024-03-20"  # the history still moves the plan


def test_export_holds_my_data(ctx, library, mail) -> None:
    unit = make_unit()
    anna = sign_up_by_email(mail, unit, "anna@example.nl")
    record_done(unit, "clean-filter", date(2024, 2, 20), owner=anna, note="easy")
    data = export_data(anna)
    assert data["owner"]["email"] == "anna@example.nl"
    assert data["consents"][0]["text_version"] == CONSENT_TEXT_VERSION
    assert data["units"][0]["gtin"] == unit.gtin
    assert data["units"][0]["my_log"][0]["note"] == "easy"


def all_rows_text() -> str:
    """Every value in every table, as one text to search for personal data."""
    chunks = []
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_deleting_leaves_no_personal_data_in_any_table(ctx, library, mail, sms) -> None:
    unit = make_unit()
    anna = sign_up_by_email(mail, unit, "anna@example.nl")
    pending = request_signup("06 12345678", unit, consent=True, now=NOW)
    phone_owner = confirm_code(pending.handle, code_in(sms.messages[-1]["body"]), NOW)
    record_done(unit, "clean-filter", date(2024, 2, 20), owner=anna, note="Anna was here")
    schedule = _db.session.scalar(select(TaskSchedule))
    reminder = Reminder(
        dedupe_key=f"{anna.id}:email:2024-03-20:due",
        owner_id=anna.id,
        channel="email",
        send_on=date(2024, 3, 20),
        next_attempt_at=NOW,
        message_id="<x@anna.example.nl>",
    )
    reminder.items.append(ReminderItem(schedule_id=schedule.id, due_on=date(2024, 3, 20)))
    _db.session.add(reminder)
    _db.session.commit()
    assert "anna@example.nl" in all_rows_text()

    delete_owner(anna)
    delete_owner(phone_owner)
    remaining = all_rows_text()
    for personal in ("anna@example.nl", "anna.example", "+31612345678", "Anna was here"):
        assert personal not in remaining
    log = _db.session.scalar(select(MaintenanceLog))
    assert log.owner_id is None and log.unit_id == unit.id  # anonymous history stays
    assert _db.session.scalars(select(Reminder)).all() == []
    assert _db.session.scalars(select(Consent)).all() == []
    assert _db.session.scalars(select(Ownership)).all() == []


def test_unconfirmed_sign_ups_are_purged_after_seven_days(ctx, library, mail) -> None:
    unit = make_unit()
    request_signup("late@example.nl", unit, consent=True, now=NOW)
    sign_up_by_email(mail, unit, "anna@example.nl")
    assert purge_unconfirmed(NOW + timedelta(days=6)) == 0
    assert purge_unconfirmed(NOW + timedelta(days=7, minutes=1)) == 1
    emails = _db.session.scalars(select(Owner.email)).all()
    assert emails == ["anna@example.nl"]
    assert "late@example.nl" not in all_rows_text()


def test_settings_are_checked(ctx, library, mail) -> None:
    anna = sign_up_by_email(mail, make_unit(), "anna@example.nl")
    settings = Settings("email", "en", 19, "Europe/Brussels", False, True)
    update_settings(anna, settings)
    assert (anna.language, anna.preferred_hour, anna.time_zone, anna.digest, anna.paused) == (
        "en",
        19,
        "Europe/Brussels",
        False,
        True,
    )
    with pytest.raises(OwnerError):
        update_settings(anna, settings.__class__("sms", "en", 19, "UTC", True, False))
    with pytest.raises(OwnerError):
        update_settings(anna, settings.__class__("email", "en", 19, "Mars/Base", True, False))


@pytest.mark.parametrize(
    "typed",
    [
        "anna\x00@example.nl",
        "anna@exam\x00ple.nl",
        "anna\u202e@example.nl",
        "an\u00adna@example.nl",
    ],
)
def test_the_email_check_refuses_invisible_characters(ctx, typed: str) -> None:
    """NUL, a right-to-left override or a soft hyphen make two addresses look alike."""
    with pytest.raises(OwnerError) as plainly_wrong:
        normalize_email("not-an-address")
    with pytest.raises(OwnerError) as refused:
        normalize_email(typed)
    assert str(refused.value) == str(plainly_wrong.value)


def test_a_countrys_own_zone_is_offered_even_where_tzdata_links_it_to_a_neighbour() -> None:
    from maintenance.services.owners.settings import canonical_time_zones

    zones = canonical_time_zones()
    # tzdata links Europe/Amsterdam to Europe/Brussels; Dutch owners still find their own zone.
    assert {"Europe/Amsterdam", "Europe/Brussels", "America/New_York"} <= zones
    assert not {"US/Eastern", "localtime", "posixrules", "Factory", "Europe"} & zones
