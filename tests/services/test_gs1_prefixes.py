"""Who may publish a protocol for a GTIN: GS1 company prefixes, admins' exceptions, and models an
organisation already has (issue 15, item 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maintenance.models import AuditEvent, ModelGtin, ProtocolVersion
from maintenance.services.gs1_prefixes import PrefixError, assign_gtin, prefixes_of, set_prefixes
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import PublishRefused, publish_protocol
from tests.builders import count, gtin, make_model, protocol_yaml

ACME_GTIN = gtin("871234500401")
BOSCH_GTIN = gtin("400638100001")


def _publish(user, models, manufacturer: str = "Acme", every: str = "P1M"):
    source = protocol_yaml(manufacturer=manufacturer, models=models, every=every)
    return publish_protocol(load_protocol(source, "dw.json"), user=user)


def test_a_manufacturer_publishes_only_gtins_under_its_prefixes(ctx, db, make_user) -> None:
    acme = make_user(organisation="Acme", prefixes=["871234"])
    make_user(organisation="Bosch", prefixes=["400638"])
    assert _publish(acme, [(ACME_GTIN, "DW 1")]).created

    with pytest.raises(PublishRefused) as refused:
        _publish(acme, [(gtin("871234500402"), "DW 2"), (BOSCH_GTIN, "Stolen")], every="P2M")

    [error] = refused.value.errors
    assert error.path == "applies_to.models[1].gtin"
    assert error.file == "dw.json" and error.line is not None
    assert "lies under another organisation's GS1 company prefix" in error.message
    assert str(error).startswith(f"dw.json:{error.line}: applies_to.models[1].gtin: ")
    db.session.rollback()
    # Nothing half-stored: neither the refused model nor the allowed one, nor a version.
    assert db.session.get(ModelGtin, BOSCH_GTIN) is None
    assert db.session.get(ModelGtin, gtin("871234500402")) is None
    assert count(ProtocolVersion) == 1


def test_a_gtin_outside_every_prefix_is_refused_with_the_own_prefixes_named(ctx, make_user):
    acme = make_user(organisation="Acme", prefixes=["871234", "0614141"])
    with pytest.raises(
        PublishRefused, match=r"not under your GS1 company prefixes \(0614141, 871234\)"
    ):
        _publish(acme, [(gtin("500000000001"), "DW")])


def test_without_prefixes_new_gtins_are_refused_but_existing_models_keep_working(
    ctx, db, make_user
) -> None:
    # As after the migration: a model made before prefixes existed, and no prefixes yet.
    make_model(gtin=ACME_GTIN, brand="Acme", name="Old", manufacturer="Acme")
    acme = make_user(organisation="Acme")
    assert _publish(acme, [(ACME_GTIN, "Old")]).created
    with pytest.raises(PublishRefused, match="Acme has no GS1 company prefix yet"):
        _publish(acme, [(ACME_GTIN, "Old"), (gtin("871234500403"), "New")], every="P2M")


def test_an_admins_exception_overrides_the_prefixes(ctx, db, make_user) -> None:
    acme = make_user(organisation="Acme", prefixes=["871234"])
    bosch = make_user(organisation="Bosch", prefixes=["400638"])
    licensed = gtin("871234500404")  # under Acme's prefix, made under licence by Bosch

    assert assign_gtin(bosch.organisation, licensed) == licensed
    assert _publish(bosch, [(licensed, "Licensed")], manufacturer="Bosch").created
    assert _publish(bosch, [(BOSCH_GTIN, "Own")], manufacturer="Bosch").created
    with pytest.raises(PublishRefused, match="belongs to another manufacturer"):
        _publish(acme, [(licensed, "Mine")])
    other = gtin("871234500405")
    assign_gtin(bosch.organisation, other)
    with pytest.raises(PublishRefused, match="is assigned to another organisation"):
        _publish(acme, [(other, "Mine")])
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"organisation.prefixes", "gtin.assign", "protocol.publish"} <= actions


def test_prefixes_are_digits_of_the_right_length_and_never_overlap_another(ctx, make_user):
    acme = make_user(organisation="Acme", prefixes=["871234"])
    bosch = make_user(organisation="Bosch")
    for bad, message in [
        ("87123x", "only the digits"),
        ("871\x00234", "only the digits"),
        ("\uff18\uff17\uff11\uff12\uff13\uff14", "only the digits"),
        ("871", "it has 3 digits"),
        ("8712345678901", "it has 13 digits"),
        ("8712345", "overlaps 871234, a prefix of Acme"),
        ("87123", "overlaps 871234, a prefix of Acme"),
    ]:
        with pytest.raises(PrefixError, match=message):
            set_prefixes(bosch.organisation, [bad])
    with pytest.raises(PrefixError, match="lies within 4006"):
        set_prefixes(bosch.organisation, ["4006", "400638"])
    assert set_prefixes(bosch.organisation, [" 400638 ", "400638"]) == ["400638"]
    assert prefixes_of(acme.organisation) == ["871234"]
    shop = make_user(role="retailer", organisation="Shop")
    with pytest.raises(PrefixError, match="not a manufacturer"):
        set_prefixes(shop.organisation, ["500000"])


def test_an_exception_never_takes_a_gtin_already_on_anothers_model(ctx, make_user) -> None:
    acme = make_user(organisation="Acme", prefixes=["871234"])
    bosch = make_user(organisation="Bosch")
    _publish(acme, [(ACME_GTIN, "DW")])
    with pytest.raises(PrefixError, match="already on a model of Acme"):
        assign_gtin(bosch.organisation, ACME_GTIN)
    with pytest.raises(PrefixError, match=r"check digit|controlecijfer"):
        assign_gtin(bosch.organisation, ACME_GTIN[:-1] + "0")
