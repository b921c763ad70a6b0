"""`maintenance protocols validate|import` and `maintenance demo`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from maintenance.demo.data import PARTNER
from maintenance.models import Protocol, ProtocolVersion, Unit, User
from maintenance.services.partners.matching import find_partners
from maintenance.services.partners.profiles import parse_postcode
from tests.builders import gtin, protocol_yaml
from tests.conftest import LIBRARY


def test_validate_prints_one_error_a_line_and_exits_1(app, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(protocol_yaml())
    bad = tmp_path / "bad.yaml"
    bad.write_text(protocol_yaml(every="P3X").replace('"difficulty": "easy"', '"difficulty": 3'))
    result = app.test_cli_runner().invoke(args=["protocols", "validate", str(good), str(bad)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert any(": tasks[0].every: " in line for line in lines)
    assert any(": tasks[0].difficulty: " in line for line in lines)


def test_validate_accepts_the_whole_shipped_library(app) -> None:
    result = app.test_cli_runner().invoke(args=["protocols", "validate", str(LIBRARY)])
    assert result.exit_code == 0, result.output


def test_import_stores_nothing_when_any_file_has_an_error(app, ctx, db, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(protocol_yaml())
    (tmp_path / "b.yaml").write_text(protocol_yaml(category="no-such-thing"))
    result = app.test_cli_runner().invoke(args=["protocols", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "b.yaml" in result.output
    assert db.session.scalar(select(func.count()).select_from(Protocol)) == 0


def test_import_publishes_for_an_organisation_and_is_idempotent(app, ctx, db, tmp_path) -> None:
    path = tmp_path / "kettle.yaml"
    path.write_text(protocol_yaml(category="kettle", task_id="descale"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["protocols", "import", str(path), "--organisation", "Acme"])
    assert first.exit_code == 0, first.output
    assert "published as kettle v1" in first.output
    second = runner.invoke(args=["protocols", "import", str(path), "--organisation", "Acme"])
    assert "unchanged" in second.output
    protocol = db.session.scalar(select(Protocol))
    assert protocol.organisation.name == "Acme"
    assert db.session.scalar(select(func.count()).select_from(ProtocolVersion)) == 1


def test_demo_loads_library_logins_and_units_and_can_run_twice(app, ctx, db) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output
    assert "/01/0" in first.output
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ProtocolVersion, User, Unit)
    ]
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    again = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ProtocolVersion, User, Unit)
    ]
    assert counts == again
    assert counts[0] >= 14
    # Around Utrecht the demo heat pump's yearly service finds the demo partner, authorised.
    heat_pump = db.session.scalar(select(Unit).where(Unit.serial == "DEMO0005"))
    offered = find_partners(heat_pump, "professional-service", parse_postcode("3511 AB"))
    assert [(m.name, m.authorised) for m in offered] == [(PARTNER, True)]
    assert "partner@example.com" in first.output


def test_an_admin_sets_prefixes_and_exceptions_from_the_command_line(app, ctx, db, make_user):
    make_user(organisation="Acme")
    runner = app.test_cli_runner()

    shown = runner.invoke(args=["organisations", "prefixes", "Acme", "871234", "0614141"])
    assert shown.exit_code == 0, shown.output
    assert "Acme: prefixes 0614141, 871234" in shown.output
    bad = runner.invoke(args=["organisations", "prefixes", "Acme", "87x"])
    assert bad.exit_code == 1
    assert "'87x' is not a GS1 company prefix" in bad.output
    assigned = runner.invoke(args=["organisations", "assign-gtin", "Acme", gtin("500000000001")])
    assert assigned.exit_code == 0, assigned.output
    listed = runner.invoke(args=["organisations", "prefixes", "Acme"])
    assert f"assigned GTINs {gtin('500000000001')}" in listed.output
    unknown = runner.invoke(args=["organisations", "prefixes", "Nobody"])
    assert unknown.exit_code == 1 and "no organisation named 'Nobody'" in unknown.output
    cleared = runner.invoke(args=["organisations", "prefixes", "Acme", "--clear"])
    assert "Acme: prefixes (none)" in cleared.output


def test_import_refuses_a_gtin_outside_the_prefixes_at_its_line(app, ctx, db, make_user, tmp_path):
    make_user(organisation="Acme", prefixes=["871234"])
    outside = gtin("500000000001")
    path = tmp_path / "dw.json"
    path.write_text(protocol_yaml(manufacturer="Acme", models=[(outside, "DW")]))

    result = app.test_cli_runner().invoke(
        args=["protocols", "import", str(path), "--organisation", "Acme"]
    )

    assert result.exit_code == 1
    line = path.read_text().splitlines().index(f'        "gtin": "{outside}",') + 1
    assert f"{path}:{line}: applies_to.models[0].gtin: GTIN {outside} is not under" in result.output
    assert db.session.scalar(select(func.count()).select_from(ProtocolVersion)) == 0
