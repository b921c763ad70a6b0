"""`maintenance check`: verify settings, database, migrations, mail and SMS before going live.

Each check says in one line what it found; a failed check makes the command exit non-zero so a
deploy script or a systemd ExecStartPre can stop there.
"""

from __future__ import annotations

import os
import re
import smtplib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import click
import phonenumbers
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from maintenance.notify.mime import sender_problem
from maintenance.ops.health import code_revisions, database_revisions, migration_problem

# Secrets that come with the code or the example file: signing with them lets anyone forge links.
PLACEHOLDER_SECRETS = {"", "dev-only-secret-change-me", "change-me"}
MIN_SECRET_LENGTH = 32
SMTP_TIMEOUT_SECONDS = 10
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Finding:
    """What one check found: its area, ok / warn / FAIL, and a sentence for the operator."""

    area: str
    level: str
    message: str


def check_settings(config: Mapping[str, Any]) -> list[Finding]:
    """BASE_URL is a usable origin; SECRET_KEY is a real secret when served over https."""
    findings = []
    base_url = str(config.get("BASE_URL") or "")
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        findings.append(
            Finding("settings", FAIL, f"BASE_URL {base_url!r} is not an http(s) URL with a host")
        )
    elif parts.query or parts.fragment or parts.path not in {"", "/"}:
        findings.append(
            Finding(
                "settings",
                FAIL,
                f"BASE_URL {base_url!r} must be an origin like https://onderhoud.example.nl: "
                "QR codes are built on it, so no path, query or fragment",
            )
        )
    secret = str(config.get("SECRET_KEY") or "")
    if parts.scheme == "https":
        if secret in PLACEHOLDER_SECRETS:
            findings.append(
                Finding("settings", FAIL, "SECRET_KEY is the example value: set a random one")
            )
        elif len(secret) < MIN_SECRET_LENGTH:
            findings.append(
                Finding(
                    "settings",
                    FAIL,
                    f"SECRET_KEY has {len(secret)} characters; use at least {MIN_SECRET_LENGTH}",
                )
            )
    elif secret in PLACEHOLDER_SECRETS:
        findings.append(
            Finding("settings", WARN, "SECRET_KEY is the development default (fine on http)")
        )
    if not findings:
        findings.append(Finding("settings", OK, f"BASE_URL {base_url}"))
    return findings


def check_database() -> list[Finding]:
    """The database answers and its schema is at the code's migration head."""
    from maintenance.extensions import db

    where = db.engine.url.render_as_string(hide_password=True)
    try:
        database_revisions()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        return [
            Finding("database", FAIL, f"cannot reach {where}: {reason[0] if reason else error}")
        ]
    findings = [Finding("database", OK, f"reachable at {where}")]
    problem = migration_problem()
    if problem:
        findings.append(Finding("migrations", FAIL, problem))
    else:
        head = ", ".join(sorted(code_revisions()))
        findings.append(Finding("migrations", OK, f"at head {head}"))
    return findings


class SettingError(ValueError):
    """A setting so wrong that the service must not start with it."""


def check_sender(config: Mapping[str, Any]) -> list[Finding]:
    """MAIL_DEFAULT_SENDER is exactly one address, so every From header names one sender."""
    sender = str(config.get("MAIL_DEFAULT_SENDER") or "")
    problem = sender_problem(sender)
    if problem:
        return [Finding("mail", FAIL, f"MAIL_DEFAULT_SENDER {sender!r} {problem}")]
    return [Finding("mail", OK, f"sender {sender}")]


def require_valid_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start (web, scheduler, dispatch) with a setting that breaks every message."""
    failed = [finding.message for finding in check_sender(config) if finding.level == FAIL]
    if failed:
        raise SettingError("; ".join(failed))


def check_mail(config: Mapping[str, Any]) -> list[Finding]:
    """Connect to the SMTP server and say EHLO (and STARTTLS / login as configured)."""
    server = str(config.get("MAIL_SERVER") or "")
    if not server:
        outbox = config.get("OUTBOX_DIR")
        level = WARN if str(config.get("BASE_URL", "")).startswith("https://") else OK
        return [Finding("mail", level, f"no MAIL_SERVER: email goes to the file outbox {outbox}")]
    port = int(config.get("MAIL_PORT") or 587)
    use_ssl = _flag(config.get("MAIL_USE_SSL"))
    use_tls = _flag(config.get("MAIL_USE_TLS")) and not use_ssl
    where = f"{server}:{port}"
    try:
        smtp_class = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
        with smtp_class(server, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            code, _ = smtp.ehlo()
            if code != 250:
                return [Finding("mail", FAIL, f"{where} answered EHLO with {code}")]
            if use_tls:
                if not smtp.has_extn("starttls"):
                    return [Finding("mail", FAIL, f"{where} does not offer STARTTLS")]
                smtp.starttls()
                smtp.ehlo()
            username = str(config.get("MAIL_USERNAME") or "")
            if username:
                smtp.login(username, str(config.get("MAIL_PASSWORD") or ""))
    except (OSError, smtplib.SMTPException) as error:
        return [Finding("mail", FAIL, f"cannot use SMTP server {where}: {_describe(error)}")]
    security = "implicit TLS" if use_ssl else "STARTTLS" if use_tls else "no TLS"
    return [Finding("mail", OK, f"SMTP server {where} answers EHLO ({security})")]


def check_sms(config: Mapping[str, Any]) -> list[Finding]:
    """Twilio settings are all there and fit together: account, token, and a sender."""
    sid = str(config.get("TWILIO_ACCOUNT_SID") or "")
    token = str(config.get("TWILIO_AUTH_TOKEN") or "")
    number = str(config.get("TWILIO_FROM_NUMBER") or "")
    service = str(config.get("TWILIO_MESSAGING_SERVICE_SID") or "")
    if not (sid or token or number or service):
        return [Finding("sms", OK, "no Twilio account: SMS go to the file outbox")]
    problems = []
    if not sid:
        problems.append("TWILIO_ACCOUNT_SID is missing")
    elif not ACCOUNT_SID.fullmatch(sid):
        problems.append("TWILIO_ACCOUNT_SID should be AC followed by 32 hex digits")
    if not token:
        problems.append("TWILIO_AUTH_TOKEN is missing (it also verifies webhook signatures)")
    if not number and not service:
        problems.append("set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send from")
    if service and not MESSAGING_SERVICE_SID.fullmatch(service):
        problems.append("TWILIO_MESSAGING_SERVICE_SID should be MG followed by 32 hex digits")
    if number and not service and not _is_e164(number):
        problems.append(f"TWILIO_FROM_NUMBER {number!r} is not a number in E.164 (+31...)")
    if problems:
        return [Finding("sms", FAIL, problem) for problem in problems]
    sender = f"messaging service {service}" if service else f"number {number}"
    return [Finding("sms", OK, f"Twilio account {sid[:6]}… sends from {sender}")]


def web_workers(environ: Mapping[str, str]) -> int:
    """How many gunicorn workers gunicorn.conf.py starts (WEB_CONCURRENCY, else 2 a core + 1)."""
    configured = str(environ.get("WEB_CONCURRENCY") or "").strip()
    if configured.isascii() and configured.isdigit():
        return int(configured)
    return 2 * (os.cpu_count() or 1) + 1


def check_rate_limits(config: Mapping[str, Any], workers: int) -> list[Finding]:
    """Per-IP limits are shared by all workers only with shared storage (not memory://)."""
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    scheme = uri.split("://", 1)[0]
    if scheme == "memory" and workers > 1:
        return [
            Finding(
                "rate limits",
                FAIL,
                f"RATELIMIT_STORAGE_URI is memory:// with {workers} workers: each counts on its "
                "own, so the per-IP limits are that many times looser. Set redis://host:6379 "
                "(pip install 'maintenance[redis]') or WEB_CONCURRENCY=1",
            )
        ]
    return [Finding("rate limits", OK, f"storage {scheme}:// for {workers} worker(s)")]


def run_checks(app: Flask) -> list[Finding]:
    """Every check, in the order an operator fixes things (needs an app context)."""
    config = app.config
    steps: list[Callable[[], list[Finding]]] = [
        lambda: check_settings(config),
        check_database,
        lambda: check_sender(config),
        lambda: check_mail(config),
        lambda: check_sms(config),
        lambda: check_rate_limits(config, web_workers(os.environ)),
    ]
    return [finding for step in steps for finding in step()]


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Verify settings, database, migrations, mail and SMS; exit 1 when anything is wrong."""
    findings = run_checks(current_app)
    for finding in findings:
        click.echo(f"{finding.level:<4}  {finding.area}: {finding.message}")
    failed = [finding for finding in findings if finding.level == FAIL]
    if failed:
        click.echo(f"{len(failed)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("all checks passed", err=True)


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _is_e164(number: str) -> bool:
    try:
        return number.startswith("+") and phonenumbers.is_possible_number(
            phonenumbers.parse(number)
        )
    except phonenumbers.NumberParseException:
        return False


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {SMTP_TIMEOUT_SECONDS} s"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login refused ({error.smtp_code})"
    return str(error) or type(error).__name__
