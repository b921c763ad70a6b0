"""Webhook deliveries reach a real receiver signed, are retried with backoff, then fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from maintenance.models import WebhookDelivery
from maintenance.services.units.batch import create_units_from_csv
from maintenance.services.units.create import create_unit, void_unit
from maintenance.services.webhooks.delivery import deliver_due
from maintenance.services.webhooks.endpoints import endpoint_of, rotate_secret, set_endpoint
from tests.builders import GTIN, make_model, make_shop
from tests.services.webhooks.receiver import receiver


@pytest.fixture
def loopback_allowed(ctx: Flask):
    """The operator allowance that lets a test receiver on 127.0.0.1 over http be used."""
    ctx.config.update(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    yield ctx
    ctx.config.update(WEBHOOK_ALLOW_HTTP=False, WEBHOOK_ALLOW_PRIVATE=False)


def deliveries(db) -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def queued_at(db) -> datetime:
    """When the first delivery became due: the moment its event was queued (no wall clock read)."""
    return deliveries(db)[0].next_attempt_at


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, written out as a receiver would."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (
            part.partition(",") for part in headers["webhook-signature"].split()
        )
    )


def test_a_unit_registration_is_delivered_signed_after_one_retry(db, loopback_allowed) -> None:
    make_model()
    shop = make_shop()
    with receiver([500, 200]) as hook:
        saved = set_endpoint(shop, hook.url)
        assert saved.secret and saved.secret.startswith("whsec_")
        unit = create_unit(shop, GTIN, serial="SN-1").unit
        now = queued_at(db)

        first = deliver_due(now)
        assert (first.delivered, first.retrying) == (0, 1)
        [delivery] = deliveries(db)
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at == now + timedelta(minutes=1)
        assert endpoint_of(shop.id).last_status == "retrying"
        assert deliver_due(now + timedelta(seconds=30)).retrying == 0  # not due yet

        second = deliver_due(now + timedelta(minutes=1))
        assert second.delivered == 1
        assert [d.status for d in deliveries(db)] == ["delivered"]
        assert endpoint_of(shop.id).last_status == "delivered"

    assert len(hook.requests) == 2
    one, two = hook.requests
    assert one.path == "/hooks/maintenance?source=test"
    assert one.headers["webhook-id"] == two.headers["webhook-id"] == delivery.message_id
    assert int(two.headers["webhook-timestamp"]) == int((now + timedelta(minutes=1)).timestamp())
    assert verify(saved.secret, two.headers, two.body)
    assert not verify(saved.secret.replace("whsec_A", "whsec_B"), two.headers, two.body + b" ")
    event = json.loads(two.body)
    assert event["type"] == "unit.registered"
    assert event["data"] == {
        "unit_id": unit.id,
        "gtin": GTIN,
        "serial": "SN-1",
        "registered_at": event["data"]["registered_at"],
    }


def test_a_delivery_fails_after_the_last_attempt(db, loopback_allowed) -> None:
    make_model()
    shop = make_shop()
    loopback_allowed.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    try:
        with receiver([503]) as hook:
            set_endpoint(shop, hook.url)
            create_unit(shop, GTIN)
            at = queued_at(db)
            for wait in (0, 1, 2):
                at += timedelta(minutes=wait)
                deliver_due(at)
    finally:
        loopback_allowed.config["WEBHOOK_MAX_ATTEMPTS"] = 8
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")
    assert len(hook.requests) == 3
    assert endpoint_of(shop.id).last_status == "failed"
    assert deliver_due(at + timedelta(days=1)).failed == 0  # nothing left to try


def test_the_guard_is_checked_again_at_delivery(db, loopback_allowed) -> None:
    make_model()
    shop = make_shop()
    with receiver([200]) as hook:
        set_endpoint(shop, hook.url)
        create_unit(shop, GTIN, serial="SN-2")
        loopback_allowed.config["WEBHOOK_ALLOW_PRIVATE"] = False  # as if DNS now said 127.0.0.1
        deliver_due(queued_at(db))
    assert hook.requests == []
    [delivery] = deliveries(db)
    assert delivery.status == "pending" and "public addresses only" in delivery.last_error


def test_batches_voids_and_rotation(db, loopback_allowed) -> None:
    make_model()
    shop = make_shop()
    other = make_shop(name="Another Shop")
    with receiver([200]) as hook:
        saved = set_endpoint(shop, hook.url)
        csv = f"gtin,serial,sold_on\n{GTIN},B-1,\n{GTIN},B-2,\n".encode()
        units = create_units_from_csv(shop, csv)
        void_unit(units[0])
        create_unit(other, GTIN, serial="X-1")  # a shop without an endpoint: nothing queued
        new_secret = rotate_secret(endpoint_of(shop.id))
        assert deliver_due(max(d.next_attempt_at for d in deliveries(db))).delivered == 3
    kinds = [json.loads(r.body)["type"] for r in hook.requests]
    assert sorted(kinds) == ["unit.registered", "unit.registered", "unit.voided"]
    assert all(verify(new_secret, r.headers, r.body) for r in hook.requests)
    assert not any(verify(saved.secret, r.headers, r.body) for r in hook.requests)
    assert all("retailer_ref" not in json.loads(r.body)["data"] for r in hook.requests)


def test_a_finished_replan_tells_the_manufacturer_how_many_units_follow(
    db, make_user, loopback_allowed
) -> None:
    from datetime import date

    from maintenance.services.protocols import load_protocol
    from maintenance.services.protocols.publish import publish_protocol
    from maintenance.services.schedules.plan import ensure_schedules
    from maintenance.services.schedules.replan import replan_queued
    from tests.builders import gtin, protocol_yaml

    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    shop = make_shop()
    g = gtin("871234500301")
    first = protocol_yaml(manufacturer="Acme", models=[(g, "DW 1")])
    publish_protocol(load_protocol(first), user=maker)
    replan_queued(date(2026, 1, 1))
    for serial in ("R-1", "R-2"):
        ensure_schedules(create_unit(shop, g, serial=serial).unit, date(2026, 1, 1))
    db.session.commit()
    with receiver([200]) as hook:
        set_endpoint(maker.organisation, hook.url)
        publish_protocol(
            load_protocol(protocol_yaml(manufacturer="Acme", models=[(g, "DW 1")], every="P2M")),
            user=maker,
        )
        assert replan_queued(date(2026, 1, 2)) == 2
        deliver_due(queued_at(db))
    [request] = hook.requests
    event = json.loads(request.body)
    assert event["type"] == "protocol.replanned"
    assert event["data"]["version"] == 2 and event["data"]["units_replanned"] == 2


def test_a_partner_hears_of_new_and_withdrawn_requests_without_who_asked(
    db, loopback_allowed
) -> None:
    from datetime import UTC, date

    from maintenance.services.owners.erase import delete_owner
    from maintenance.services.partners.profiles import approve_partner, register_partner
    from tests.builders import make_owner, make_planned_unit, make_request, own

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    unit = make_planned_unit(date(2026, 3, 2))
    owner = make_owner(email="anna@example.nl")
    own(owner, unit)
    profile = register_partner("Fix It", areas=["3500-3599"], email="desk@fixit.example")
    approve_partner(profile, now)
    with receiver([200]) as hook:
        set_endpoint(profile.organisation, hook.url)
        asked = make_request(
            owner=owner,
            unit=unit,
            partner_id=profile.organisation_id,
            now=now,
            note="Leaks under the door",
        )
        delete_owner(owner)
        deliver_due(max(d.next_attempt_at for d in deliveries(db)))
    # Deliveries may arrive in any order (a receiver orders them by their timestamps).
    events = {event["type"]: event for event in (json.loads(r.body) for r in hook.requests)}
    assert len(hook.requests) == 2
    assert sorted(events) == ["service_request.created", "service_request.withdrawn"]
    assert events["service_request.created"]["data"] == {
        "request_id": asked.id,
        "unit_id": unit.id,
        "gtin": GTIN,
        "serial": "SN0001",
        "task": "check-hoses",
        "created_at": now.isoformat(),
    }
    for request in hook.requests:
        for private in (b"anna@example.nl", b"3511", b"Leaks"):
            assert private not in request.body


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no row locks to skip",
)
def test_a_claim_skips_deliveries_another_scheduler_holds(db, loopback_allowed) -> None:
    from sqlalchemy import text

    from maintenance.services.webhooks.delivery import claim

    make_model()
    shop = make_shop()
    set_endpoint(shop, "http://127.0.0.1:9/never-called")
    for serial in ("L-1", "L-2", "L-3", "L-4"):
        create_unit(shop, GTIN, serial=serial)
    rows = deliveries(db)
    held = [row.id for row in rows[:2]]
    with db.engine.connect() as other:
        transaction = other.begin()
        other.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.id.in_(held)).with_for_update()
        )
        # Waiting for the held rows instead of skipping them would fail here, not hang.
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        taken, _ = claim(max(row.next_attempt_at for row in rows))
        transaction.rollback()
    assert taken == [row.id for row in rows[2:]]
