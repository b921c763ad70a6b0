"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from maintenance.extensions import db as _db


def test_migrations_match_the_models(ctx) -> None:
    with _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)
    assert differences == [], "models and migrations differ; add a revision:\n" + "\n".join(
        map(str, differences)
    )


def test_ids_never_repeat_and_rows_survive_the_rebuild(tmp_path) -> None:
    """0012 rebuilds SQLite tables as AUTOINCREMENT without cascading deletes of their children."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from maintenance import create_app
    from maintenance.config import ROOT, TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite3'}")
    owner_values = "'email', 'nl', 'Europe/Amsterdam', 9, 1, 0, '2026-01-01'"
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0009")
        with _db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO owner (id, email, channel, language, time_zone,"
                        " preferred_hour, digest, paused, created_at)"
                        f" VALUES ({n}, 'p{n}@example.nl', {owner_values})"
                    )
                )
            conn.execute(
                text(
                    "INSERT INTO consent (owner_id, channel, text_version, source, given_at)"
                    " VALUES (2, 'email', 'v1', 'test', '2026-01-01')"
                )
            )
        upgrade(directory=str(ROOT / "migrations"))
        with _db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM consent")).scalar() == 1
            secrets = conn.execute(text("SELECT session_secret FROM owner")).scalars().all()
            assert len(set(secrets)) == 2 and all(len(secret) == 64 for secret in secrets)
            conn.execute(text("DELETE FROM consent"))
            conn.execute(text("DELETE FROM owner WHERE id = 2"))
            conn.execute(
                text(
                    "INSERT INTO owner (email, channel, language, time_zone, preferred_hour,"
                    f" digest, paused, created_at, session_secret)"
                    f" VALUES ('p3@example.nl', {owner_values}, 'x')"
                )
            )
            assert conn.execute(text("SELECT max(id) FROM owner")).scalar() == 3
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        _db.engine.dispose()
