"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
a client, staff and owners signed in through the real forms; fakes and browser fixtures come
in as plugins."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from maintenance import create_app
from maintenance.config import ROOT, TestConfig
from maintenance.extensions import db as _db
from maintenance.extensions import limiter
from tests.builders import GTIN, unit_path
from tests.fakes import link_in

LIBRARY = ROOT / "protocols" / "library"
PASSWORD = "correct horse battery"
EN = {"Accept-Language": "en"}  # the language these tests' expected texts are written in

# Registered once for every folder: the SMTP and Twilio fakes with the fixtures that aim the app
# at them, and the browser fixtures (one Chromium for the whole session).
pytest_plugins = ["tests.fakes.fixtures", "tests.browser.fixtures"]


def _database_url(tmp: Path) -> str:
    """SQLite under the session's folder, or TEST_DATABASE_URL; one database per xdist worker."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return url
    # Workers sharing one database block each other: one's TRUNCATE waits on the other's session.
    shared = make_url(url)
    own = shared.set(database=f"{shared.database}_{worker}")
    engine = create_engine(shared, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    own_url = own.render_as_string(hide_password=False)
    # Processes a test starts (dispatchers, gunicorn) read TEST_DATABASE_URL: the worker's own.
    os.environ["TEST_DATABASE_URL"] = own_url
    return own_url


def _reset_schema(app: Flask) -> None:
    """Start from an empty database, then build the schema with the Alembic migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the session, its schema made by the migrations."""
    tmp = tmp_path_factory.mktemp("instance")
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=_database_url(tmp),
        OUTBOX_DIR=str(tmp / "outbox"),
    )
    _reset_schema(app)
    yield app


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with no rate limit used and ends with empty tables.

    Emptying works across threads and processes, unlike a rollback.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        # Rate-limit counters live in memory for the session; they belong to one test. Other
        # apps a test builds share the limiter, so the count is reset before, not only after.
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()
        _db.session.remove()
        tables = list(reversed(_db.metadata.sorted_tables))
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for service-level tests."""
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def db(ctx: Flask):
    """The SQLAlchemy extension inside an app context."""
    return _db


class IsolatedClient(FlaskClient):
    """Runs every request in its own app context, as a server would, even inside a test's `ctx`.

    Otherwise a request reuses the test's app context and with it `g` and the database session.
    """

    def open(self, *args: object, **kwargs: object):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client (CSRF checks on, as in production)."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def make_user(ctx: Flask) -> Callable[..., object]:
    """Build a staff user: make_user(role="retailer", organisation="Shop", email=...).

    A manufacturer's GS1 company prefixes (`prefixes=["871234"]`) let it publish new GTINs.
    """
    from maintenance.services.accounts import create_user
    from maintenance.services.gs1_prefixes import set_prefixes

    counter = iter(range(1, 10_000))

    def build(
        role: str = "manufacturer",
        organisation: str | None = None,
        email: str | None = None,
        prefixes: Sequence[str] = (),
    ):
        n = next(counter)
        organisation = organisation or f"{role.title()} {n}"
        user = create_user(email or f"{role}{n}@example.com", role, organisation, PASSWORD)
        if prefixes:
            set_prefixes(user.organisation, prefixes)
        return user

    return build


@pytest.fixture
def token_for(ctx: Flask) -> Callable[[object], dict[str, str]]:
    """Authorization headers carrying a fresh API token for a user."""
    from maintenance.services.accounts import create_token

    def build(user: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(user)}"}

    return build


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read its CSRF token, as a browser would ("" on a page without one).

    The unit page has no token for a visitor without a session (see web/visitors.py); its forms
    are then posted without one, as a browser does.
    """
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if match is None:
        match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match or "<form" in page, f"no form on {path}"
    return match.group(1) if match else ""


@pytest.fixture
def login(client: FlaskClient) -> Callable[[object], FlaskClient]:
    """Log a staff user in through the real login form."""

    def do(user: object) -> FlaskClient:
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do


# The owner's way in, through the real unit page form and the link in the email.


def remind(client: FlaskClient, contact: str, serial: str = "SN0001", **extra: str):
    """Submit the unit page's "Remind me" form."""
    token = csrf_token(client, unit_path(serial))
    form = {
        "csrf_token": token,
        "gtin": GTIN,
        "serial": serial,
        "contact": contact,
        "consent": "reminders-v1",
        "hour": "9",
        "language": "en",
        "role": "owner",
        **extra,
    }
    return client.post("/remind", data=form, headers=EN)


def confirm_by_email(client: FlaskClient, mail, button: str = "Yes, send me reminders") -> None:
    """Open the link in the last email and press its button (a sign-up's, unless told)."""
    path = link_in(mail.messages[-1])
    page = client.get(path, headers=EN)
    assert page.status_code == 200
    assert f'<button type="submit">{button}</button>' in page.get_data(as_text=True)
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token}, headers=EN)
    assert response.status_code == 303 and response.location.endswith("/me")


def sign_in(client: FlaskClient, mail, contact: str = "anna@example.nl", **extra: str) -> None:
    """Sign an owner up for the unit SN0001 through the real forms, and confirm by email."""
    response = remind(client, contact, **extra)
    assert response.status_code == 303, response.get_data(as_text=True)
    confirm_by_email(client, mail)


@pytest.fixture
def library(ctx: Flask) -> None:
    """Publish the shipped protocol library (category defaults)."""
    from maintenance.demo.data import import_library

    import_library(LIBRARY)
