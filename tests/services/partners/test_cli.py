"""The partners commands: add, approve (owners see it only then), list, the ORDS export."""

from __future__ import annotations

from maintenance.cli import main


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_partner_is_added_then_approved(app) -> None:
    added = run(app, "partners", "add", "Fix It", "--area", "3500-3599", "--email", "d@fix.it")
    assert "waiting for approval" in added
    assert "Fix It: waiting; NL:3500-3599" in run(app, "partners", "list")
    assert "approved" in run(app, "partners", "approve", "Fix It")
    assert "Fix It: approved" in run(app, "partners", "list")


def test_a_bad_area_is_refused_with_its_place(app) -> None:
    result = app.test_cli_runner().invoke(
        main, ["partners", "add", "Fix It", "--area", "35xx", "--email", "d@fix.it"]
    )
    assert result.exit_code != 0 and "areas[0]" in result.output


def test_the_ords_export_starts_with_the_standards_header(app) -> None:
    assert run(app, "partners", "ords-export").startswith("id,data_provider,country,")
