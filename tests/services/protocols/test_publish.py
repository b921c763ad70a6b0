"""Publishing protocols: versions are immutable, identical content adds nothing, owners only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from maintenance.models import Protocol, ProtocolVersion
from maintenance.services.catalog import current_version_for_model, find_model_by_gtin
from maintenance.services.protocols import load_protocol
from maintenance.services.protocols.publish import PublishConflict, PublishRefused, publish_protocol
from tests.builders import gtin, make_model, make_unit, protocol_yaml


def _publish(user=None, **kwargs):
    return publish_protocol(load_protocol(protocol_yaml(**kwargs)), user=user)


def test_a_new_version_never_rewrites_the_old_one(ctx, db, make_user) -> None:
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    g = gtin("871234500101")
    first = _publish(maker, manufacturer="Acme", models=[(g, "DW 1")], every="P1M")
    second = _publish(maker, manufacturer="Acme", models=[(g, "DW 1")], every="P2M")
    assert (first.version.number, second.version.number) == (1, 2)
    assert first.version.protocol_id == second.version.protocol_id
    db.session.expire_all()
    old = db.session.get(ProtocolVersion, first.version.id)
    assert old.tasks[0].every == "P1M"
    assert old.document["tasks"][0]["every"] == "P1M"
    assert current_version_for_model(find_model_by_gtin(g)).number == 2


def test_publishing_identical_content_adds_no_version(ctx, db, make_user) -> None:
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    g = gtin("871234500102")
    first = _publish(maker, manufacturer="Acme", models=[(g, "DW 2")])
    again = _publish(maker, manufacturer="Acme", models=[(g, "DW 2")])
    assert again.created is False
    assert again.version.id == first.version.id
    assert db.session.scalar(select(func.count()).select_from(ProtocolVersion)) == 1


def test_models_without_own_protocol_follow_the_library_default(ctx, db, library) -> None:
    model = make_model(gtin=gtin("871234500103"), category="kettle", manufacturer="Plain")
    version = current_version_for_model(model)
    assert version.protocol.organisation_id is None
    assert version.protocol.category == "kettle"


def test_a_manufacturer_cannot_publish_for_another_manufacturers_gtin(ctx, make_user) -> None:
    acme = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    other = make_user(role="manufacturer", organisation="Other")
    g = gtin("871234500104")
    _publish(acme, manufacturer="Acme", models=[(g, "DW 4")])
    with pytest.raises(PublishRefused, match="another manufacturer"):
        _publish(other, manufacturer="Other", models=[(g, "Stolen")])


def test_retailers_cannot_publish_and_admins_can_publish_library_defaults(ctx, make_user) -> None:
    shop = make_user(role="retailer")
    with pytest.raises(PublishRefused):
        _publish(shop)
    admin = make_user(role="admin")
    result = _publish(admin, category="kettle", task_id="descale")
    assert result.version.protocol.organisation_id is None


def test_a_manufacturer_default_is_its_own_not_the_librarys(ctx, db, make_user, library) -> None:
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    result = _publish(maker, category="kettle", task_id="descale")
    assert result.version.protocol.organisation_id == maker.organisation_id
    library_kettle = db.session.scalar(
        select(Protocol).where(Protocol.category == "kettle", Protocol.organisation_id.is_(None))
    )
    assert len(library_kettle.versions) == 1


def test_a_gtin_of_another_category_is_a_conflict_and_nothing_is_stored(ctx, db, make_user) -> None:
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    g = gtin("871234500105")
    _publish(maker, manufacturer="Acme", models=[(g, "DW 5")])
    before = db.session.scalar(select(func.count()).select_from(ProtocolVersion))
    with pytest.raises(PublishConflict, match="is a dishwasher"):
        _publish(
            maker, category="kettle", task_id="descale", manufacturer="Acme", models=[(g, "K")]
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProtocolVersion)) == before


def test_a_new_version_replans_units_already_under_maintenance(ctx, db, make_user) -> None:
    from datetime import date

    from maintenance.models import MaintenanceLog
    from maintenance.services.schedules.plan import ensure_schedules, find_schedule
    from maintenance.services.schedules.records import record_done
    from maintenance.services.schedules.replan import replan_queued

    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    g = gtin("871234500106")
    first = _publish(maker, manufacturer="Acme", models=[(g, "DW 6")], every="P1M")
    unit = make_unit(gtin=g, serial="A1", sold_on=date(2026, 1, 1))
    ensure_schedules(unit, date(2026, 1, 1))
    record_done(unit, "clean-filter", date(2026, 11, 1))
    assert find_schedule(unit, "clean-filter").next_due == date(2026, 12, 1)

    second = _publish(maker, manufacturer="Acme", models=[(g, "DW 6")], every="P6M")
    assert replan_queued(date(2026, 11, 5)) == 1  # the scheduler's replan job
    schedule = find_schedule(unit, "clean-filter")
    assert schedule.version_id == second.version.id
    assert schedule.next_due == date(2027, 5, 1)
    [log] = db.session.scalars(select(MaintenanceLog)).all()
    assert log.version_id == first.version.id, "history keeps the version that was in force"


def test_units_follow_a_model_protocol_that_replaces_the_category_default(
    ctx, db, make_user
) -> None:
    """A model that gets its own protocol moves its units under maintenance onto it."""
    from datetime import date

    from maintenance.services.schedules.plan import ensure_schedules, find_schedule
    from maintenance.services.schedules.replan import replan_queued

    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    default = _publish(None, every="P1M")
    g = gtin("871234500107")
    make_model(gtin=g, brand="Acme", name="DW 7", manufacturer="Acme")
    unit = make_unit(gtin=g, serial="A1", sold_on=date(2026, 1, 1))
    ensure_schedules(unit, date(2026, 1, 1))
    assert find_schedule(unit, "clean-filter").version_id == default.version.id

    own = _publish(maker, manufacturer="Acme", models=[(g, "DW 7")], every="P6M")
    assert own.version.protocol_id != default.version.protocol_id
    assert replan_queued(date(2026, 3, 5)) == 1
    schedule = find_schedule(unit, "clean-filter")
    assert (schedule.version_id, schedule.next_due) == (own.version.id, date(2026, 7, 1))
