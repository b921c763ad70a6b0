"""Every setting comes from the environment; one commented line each."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Templates, static files, migrations and protocols: beside the package in a checkout (and an
# editable install), inside it under _data/ in a wheel (setup.py puts them there).
BUNDLED = PACKAGE / "_data"
ROOT = BUNDLED if BUNDLED.is_dir() else PACKAGE.parent
# Development data under instance/ in a checkout; an installed package writes nothing into
# site-packages, so there it is instance/ in the working directory unless INSTANCE_PATH says.
INSTANCE = Path(
    os.environ.get("INSTANCE_PATH", (Path.cwd() if ROOT is BUNDLED else ROOT) / "instance")
)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


class Config:
    """Production and development settings, read once from the environment."""

    # Database URL; SQLite file under instance/ when unset so a fresh clone runs with nothing else.
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'maintenance.sqlite3'}")
    # Signs sessions, CSRF tokens and the links in messages; must be set in production.
    SECRET_KEY = _env("SECRET_KEY", "dev-only-secret-change-me")
    # Public origin printed in QR codes and links; GS1 Digital Link URIs are built on it.
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # SMTP server for email; unset means messages go to the file outbox.
    MAIL_SERVER = _env("MAIL_SERVER")
    # SMTP port (587 for STARTTLS, 465 for implicit TLS).
    MAIL_PORT = _int("MAIL_PORT", 587)
    # Upgrade the SMTP connection with STARTTLS.
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", True)
    # Connect with implicit TLS (SMTPS) instead of STARTTLS.
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")
    # SMTP login; empty means no authentication.
    MAIL_USERNAME = _env("MAIL_USERNAME")
    # SMTP password.
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    # From address of every email.
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Onderhoud <noreply@localhost>")
    # Twilio account for SMS; unset means SMS go to the file outbox.
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    # Twilio auth token; also verifies X-Twilio-Signature on webhooks.
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    # Sender number in E.164 (or use a messaging service below).
    TWILIO_FROM_NUMBER = _env("TWILIO_FROM_NUMBER")
    # Twilio messaging service SID, used instead of a from number when set.
    TWILIO_MESSAGING_SERVICE_SID = _env("TWILIO_MESSAGING_SERVICE_SID")
    # Send the Twilio client's HTTP to another base URL (a gateway or a local test double).
    TWILIO_API_BASE_URL = _env("TWILIO_API_BASE_URL")
    # Where development messages are written when no provider is configured.
    OUTBOX_DIR = _env("OUTBOX_DIR", str(INSTANCE / "outbox"))
    # Countries whose mobile numbers may sign up (ISO 3166 alpha-2, comma separated).
    SMS_COUNTRIES = tuple(c.strip().upper() for c in _env("SMS_COUNTRIES", "NL,BE").split(","))
    # Storage for rate limits; use redis://... when running several gunicorn workers.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    # Seconds every owner login request takes at least: one that sends a link or code must not
    # answer slower than one for an unknown address (sending takes tens of milliseconds).
    LOGIN_ANSWER_SECONDS = float(_env("LOGIN_ANSWER_SECONDS", "1.0"))
    # Largest request body accepted (protocol uploads, CSV batches), in bytes.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # Language used when the visitor's browser states none we support.
    BABEL_DEFAULT_LOCALE = _env("DEFAULT_LANGUAGE", "nl")
    # Time zone for owners who chose none.
    DEFAULT_TIME_ZONE = _env("DEFAULT_TIME_ZONE", "Europe/Amsterdam")
    # Days a task may be overdue before the single follow-up reminder goes.
    FOLLOW_UP_DAYS = _int("FOLLOW_UP_DAYS", 7)
    # Most messages one owner receives in any 7 days, whatever happens.
    MAX_MESSAGES_PER_WEEK = _int("MAX_MESSAGES_PER_WEEK", 3)
    # Seconds between dispatch passes of the scheduler process.
    DISPATCH_INTERVAL_SECONDS = _int("DISPATCH_INTERVAL_SECONDS", 60)
    # Send attempts per reminder (retries back off from 5 minutes, doubling) before it fails.
    REMINDER_MAX_ATTEMPTS = _int("REMINDER_MAX_ATTEMPTS", 8)
    # Seconds a dispatcher holds claimed reminders; a crashed one's are taken over after this.
    REMINDER_LEASE_SECONDS = _int("REMINDER_LEASE_SECONDS", 300)
    # Days the done / snooze / unsubscribe links in a reminder keep working.
    LINK_MAX_AGE_DAYS = _int("LINK_MAX_AGE_DAYS", 60)
    # Proxies in front of the app whose X-Forwarded-* headers to trust (0: none, serve directly).
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
    # Bearer token a scraper sends to read /metrics; unset turns /metrics off (404).
    METRICS_TOKEN = _env("METRICS_TOKEN")
    # Log level of the service.
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    # Log lines as "text" (for people) or "json" (one object a line, for log collectors).
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    # Days to keep reminders' delivery events (provider reports and errors); 0 keeps them all.
    RETAIN_DELIVERY_EVENTS_DAYS = _int("RETAIN_DELIVERY_EVENTS_DAYS", 180)
    # Days to keep anonymous scan events (older figures are lost); 0 keeps them all.
    RETAIN_SCAN_EVENTS_DAYS = _int("RETAIN_SCAN_EVENTS_DAYS", 1095)
    # Scans a web process holds before writing them in one INSERT (1: each scan at once).
    SCAN_BATCH_SIZE = max(1, _int("SCAN_BATCH_SIZE", 50))
    # Seconds the oldest held scan waits at most; a killed process loses at most this much.
    SCAN_FLUSH_SECONDS = float(_env("SCAN_FLUSH_SECONDS", "5"))
    # Allow webhook URLs with plain http:// (only for a receiver on a trusted network, or tests).
    WEBHOOK_ALLOW_HTTP = _flag("WEBHOOK_ALLOW_HTTP")
    # Allow webhook URLs that resolve to private, loopback or link-local addresses (SSRF guard off).
    WEBHOOK_ALLOW_PRIVATE = _flag("WEBHOOK_ALLOW_PRIVATE")
    # Attempts per webhook delivery (retries back off from 1 minute, doubling) before it fails.
    WEBHOOK_MAX_ATTEMPTS = _int("WEBHOOK_MAX_ATTEMPTS", 8)
    # Seconds a webhook receiver has to answer one delivery.
    WEBHOOK_TIMEOUT_SECONDS = float(_env("WEBHOOK_TIMEOUT_SECONDS", "10"))

    # Connections are replaced after an hour: a connection keeps the plans of its foreign-key
    # checks, and one made while a table was nearly empty (a new deployment) scans it whole
    # (bench/materialise.py saw 3 ms per reminder item after three weeks of passes).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 3600}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None
    FAIL_ON_REAL_SENDS = False
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: its own database, and refusal of any real provider."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    SECRET_KEY = "test-secret"
    BASE_URL = "http://localhost"
    MAIL_SERVER = ""
    TWILIO_ACCOUNT_SID = ""
    TWILIO_AUTH_TOKEN = ""
    TWILIO_API_BASE_URL = ""
    # A test that forgets its fake provider fails loudly instead of sending for real.
    FAIL_ON_REAL_SENDS = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Logins answer at once; the test of equal answer times sets its own.
    LOGIN_ANSWER_SECONDS = 0.0
    METRICS_TOKEN = "test-metrics-token"
    # Each scan written in its own request, so a test sees it at once (tests/services/test_scans.py
    # covers the batches).
    SCAN_BATCH_SIZE = 1
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
