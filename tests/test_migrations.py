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
