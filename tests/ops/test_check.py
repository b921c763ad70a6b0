"""`maintenance check`: passes on a good setup, names each problem and exits 1 otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from flask import Flask

from tests.fakes import FakeSmtpServer

SID = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "fedcba9876543210" * 2


@pytest.fixture(autouse=True)
def one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """One gunicorn worker, where memory:// rate limits are fine (the test below varies it)."""
    monkeypatch.setenv("WEB_CONCURRENCY", "1")


def run_check(app: Flask) -> Result:
    return app.test_cli_runner().invoke(args=["check"])


def lines_at(result: Result, level: str) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(level)]


def test_check_passes_on_a_migrated_database_with_file_outbox(app: Flask) -> None:
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert lines_at(result, "FAIL") == []
    assert "ok    database: reachable" in result.output
    assert "ok    migrations: at head" in result.output
    assert "file outbox" in result.output


def test_check_fails_on_a_bad_database_url(
    make_app: Callable[..., Flask], closed_port: int
) -> None:
    app = make_app(database_url=f"postgresql+psycopg://postgres:pw@127.0.0.1:{closed_port}/x")
    result = run_check(app)
    assert result.exit_code == 1
    [failure] = lines_at(result, "FAIL")
    assert failure.startswith("FAIL  database: cannot reach postgresql+psycopg://postgres:***@")
    assert "pw@" not in result.output  # the password never reaches the terminal


def test_check_fails_when_migrations_are_behind(make_app: Callable[..., Flask]) -> None:
    result = run_check(make_app(migrate_to="0001"))
    assert result.exit_code == 1
    [failure] = lines_at(result, "FAIL")
    assert "migrations: database is at revision 0001" in failure


def test_check_connects_to_the_smtp_server(app: Flask, mail: FakeSmtpServer) -> None:
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert f"ok    mail: SMTP server 127.0.0.1:{mail.port} answers EHLO" in result.output
    assert mail.connections == 1


def test_check_fails_on_an_unreachable_smtp_server(
    app: Flask, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port)
    result = run_check(app)
    assert result.exit_code == 1
    [failure] = lines_at(result, "FAIL")
    assert failure.startswith(f"FAIL  mail: cannot use SMTP server 127.0.0.1:{closed_port}")


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "secret"}, "TWILIO_FROM_NUMBER or"),
        ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_FROM_NUMBER": "+3197010000000"}, "AUTH_TOKEN is"),
        ({"TWILIO_AUTH_TOKEN": "secret", "TWILIO_FROM_NUMBER": "+31970"}, "SID is missing"),
        (
            {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "0612"},
            "not a number in E.164",
        ),
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+31"},
            "AC followed by 32 hex digits",
        ),
    ],
)
def test_check_fails_on_half_configured_twilio(
    app: Flask, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], problem: str
) -> None:
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    result = run_check(app)
    assert result.exit_code == 1
    assert any(problem in line for line in lines_at(result, "FAIL  sms:")), result.output


@pytest.mark.parametrize(
    "sender", [{"TWILIO_FROM_NUMBER": "+3197010000000"}, {"TWILIO_MESSAGING_SERVICE_SID": SERVICE}]
)
def test_check_accepts_a_complete_twilio_account(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sender: dict[str, str]
) -> None:
    settings = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "secret", **sender}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert "ok    sms: Twilio account AC0123… sends from" in result.output


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"BASE_URL": "https://onderhoud.example.nl"}, "SECRET_KEY is the example value"),
        (
            {"BASE_URL": "https://onderhoud.example.nl", "SECRET_KEY": "short"},
            "SECRET_KEY has 5 characters",
        ),
        ({"BASE_URL": "onderhoud.example.nl"}, "is not an http(s) URL with a host"),
        ({"BASE_URL": "https://example.nl/app?x=1"}, "must be an origin"),
    ],
)
def test_check_fails_on_unsafe_or_malformed_settings(
    app: Flask, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], problem: str
) -> None:
    monkeypatch.setitem(app.config, "SECRET_KEY", "dev-only-secret-change-me")
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    result = run_check(app)
    assert result.exit_code == 1
    assert any(problem in line for line in lines_at(result, "FAIL  settings:")), result.output


def test_check_fails_on_memory_rate_limits_with_several_workers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    result = run_check(app)
    assert result.exit_code == 1
    [failure] = lines_at(result, "FAIL")
    assert "rate limits: RATELIMIT_STORAGE_URI is memory:// with 3 workers" in failure
    monkeypatch.delenv("WEB_CONCURRENCY")  # gunicorn.conf.py then starts 2 a core + 1
    assert run_check(app).exit_code == 1
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert "ok    rate limits: storage redis:// for 3 worker(s)" in result.output


def test_the_redis_client_is_an_extra() -> None:
    import tomllib

    from maintenance.config import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["redis"] == ["limits[redis]>=3.7"]


@pytest.mark.parametrize(
    ("sender", "problem"),
    [
        ("Onderhoud, Service <noreply@example.nl>", "holds 2 addresses"),
        ("noreply@example.nl, other@example.nl", "holds 2 addresses"),
        ("noreply", "is not one address"),
        ("Onderhoud <noreply@>", "is not one address"),
        ("   ", "is empty"),
    ],
)
def test_check_fails_on_a_sender_that_is_not_one_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sender: str, problem: str
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", sender)
    result = run_check(app)
    assert result.exit_code == 1
    [failure] = lines_at(result, "FAIL")
    assert failure.startswith("FAIL  mail: MAIL_DEFAULT_SENDER")
    assert problem in failure


def test_check_accepts_a_quoted_display_name_with_a_comma(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", '"Onderhoud, Service" <no@example.nl>')
    result = run_check(app)
    assert result.exit_code == 0, result.output
    assert 'ok    mail: sender "Onderhoud, Service" <no@example.nl>' in result.output


@pytest.mark.parametrize("command", [["scheduler"], ["dispatch"]])
def test_the_scheduler_and_dispatch_refuse_to_start_with_a_bad_sender(
    make_app: Callable[..., Flask], command: list[str]
) -> None:
    app = make_app(migrate_to="head", MAIL_DEFAULT_SENDER="Onderhoud, Service <no@example.nl>")
    with app.app_context():  # as the `maintenance` command line gives every command
        result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0
    assert "MAIL_DEFAULT_SENDER 'Onderhoud, Service <no@example.nl>' holds 2 addresses" in (
        result.output
    )
    assert "dispatched" not in result.output


def test_the_web_process_refuses_to_start_with_a_bad_sender(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from maintenance.config import ROOT

    env = {
        **os.environ,
        "MAIL_DEFAULT_SENDER": "Onderhoud, Service <no@example.nl>",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }
    # What a gunicorn worker does first: import the wsgi module.
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode != 0
    assert "MAIL_DEFAULT_SENDER" in started.stderr and "holds 2 addresses" in started.stderr
