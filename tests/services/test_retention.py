"""Retention: rows older than their period go, newer rows stay; 0 days keeps everything."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from maintenance.models import DeliveryEvent, Owner, Reminder, ScanEvent
from maintenance.services.retention import apply_retention
from tests.builders import count

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def add_rows(db, days_ago: int) -> None:
    """An unconfirmed owner, a reminder with one delivery event, one scan: all `days_ago` old."""
    at = NOW - timedelta(days=days_ago)
    owner = Owner(email=f"o{days_ago}@example.com", created_at=at)
    db.session.add(owner)
    db.session.flush()
    reminder = Reminder(
        dedupe_key=f"k{days_ago}",
        owner_id=owner.id,
        channel="email",
        send_on=at.date(),
        status="sent",
        next_attempt_at=at,
    )
    db.session.add(reminder)
    db.session.flush()
    db.session.add(DeliveryEvent(reminder_id=reminder.id, at=at, status="delivered"))
    db.session.add(ScanEvent(gtin="08712345678906", day=at.date(), at=at))
    db.session.commit()


def test_old_rows_go_and_new_rows_stay(ctx: Flask, db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ctx.config, "RETAIN_DELIVERY_EVENTS_DAYS", 30)
    monkeypatch.setitem(ctx.config, "RETAIN_SCAN_EVENTS_DAYS", 90)
    for days_ago in (1, 45, 120):
        add_rows(db, days_ago)

    result = apply_retention(NOW)

    assert (result.delivery_events, result.scan_events) == (2, 1)
    kept = db.session.scalars(select(DeliveryEvent.at)).all()
    assert kept == [NOW - timedelta(days=1)]
    assert sorted(db.session.scalars(select(ScanEvent.day))) == [
        date(2027, 4, 17),
        date(2027, 5, 31),
    ]
    # Unconfirmed sign-ups follow the owners' own 7-day rule, with everything about them.
    assert result.unconfirmed_owners == 2
    assert db.session.scalars(select(Owner.email)).all() == ["o1@example.com"]


def test_zero_days_keeps_everything(ctx: Flask, db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ctx.config, "RETAIN_DELIVERY_EVENTS_DAYS", 0)
    monkeypatch.setitem(ctx.config, "RETAIN_SCAN_EVENTS_DAYS", 0)
    add_rows(db, 4000)
    # A verified owner stays too, however old.
    db.session.execute(Owner.__table__.update().values(email_verified_at=NOW))
    db.session.commit()

    result = apply_retention(NOW)

    assert (result.delivery_events, result.scan_events, result.unconfirmed_owners) == (0, 0, 0)
    assert count(DeliveryEvent) == count(ScanEvent) == count(Owner) == 1
