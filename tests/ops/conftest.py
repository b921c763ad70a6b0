"""Fixtures for operations tests: apps on databases in a chosen state, and a closed port."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from maintenance import create_app
from maintenance.config import ROOT, TestConfig
from maintenance.extensions import db


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build extra apps: make_app(database_url=..., migrate_to="0001" | "head" | None)."""
    built: list[Flask] = []

    def build(
        database_url: str | None = None, migrate_to: str | None = None, **settings: object
    ) -> Flask:
        url = database_url or f"sqlite:///{tmp_path / f'app{len(built)}.sqlite3'}"
        app = create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=url,
            OUTBOX_DIR=str(tmp_path / "outbox"),
            **settings,
        )
        if migrate_to:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"), revision=migrate_to)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
