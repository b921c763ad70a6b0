"""/healthz answers while the process runs; /readyz only when the database is up and at head."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from maintenance.config import ROOT


def newest_migration() -> str:
    """The revision id of the newest file in migrations/versions (named "<id>_<what>.py")."""
    newest = max(path.name for path in (ROOT / "migrations" / "versions").glob("[0-9]*_*.py"))
    return newest.split("_", 1)[0]


def test_healthz_answers_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["revision"] == [newest_migration()]


def test_readyz_is_503_when_migrations_are_behind(make_app: Callable[..., Flask]) -> None:
    app = make_app(migrate_to="0001")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert f"at revision 0001, the code expects {newest_migration()}" in response.json["reason"]
    assert "maintenance db upgrade" in response.json["reason"]


def test_readyz_is_503_on_an_empty_database(make_app: Callable[..., Flask]) -> None:
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert "no schema" in response.json["reason"]


def test_readyz_is_503_when_the_database_is_unreachable(
    make_app: Callable[..., Flask], closed_port: int
) -> None:
    app = make_app(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"].startswith("database unreachable")
    # The probe is public: the answer names no address or port of the database.
    assert "127.0.0.1" not in response.json["reason"]
    assert str(closed_port) not in response.json["reason"]
    # The process itself is fine: liveness must not fail with the database.
    assert app.test_client().get("/healthz").status_code == 200
