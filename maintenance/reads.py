"""One-statement reads for the busiest pages, on a pool of autocommit connections.

The unit page reads once per scan and changes nothing, so it needs no transaction: without
BEGIN and ROLLBACK psycopg also keeps the statement prepared (it forgets prepared statements
at a ROLLBACK), and PostgreSQL does not plan it again on every scan. This pool does not ping a
connection before each use (the main pool does, a round trip per request); a read that finds
its connection dropped (a database restart) is run once more on a fresh one instead, which is
safe because a read changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import Executable, Row, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from maintenance.extensions import db

EXTENSION_KEY = "maintenance.reads"


def read_first(statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
    """The statement's first row, read in autocommit; retried once on a dropped connection."""
    engine = _read_engine()
    try:
        return _first(engine, statement, parameters)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        # The pool has dropped every connection older than this one: the retry gets a new one.
        return _first(engine, statement, parameters)


def _first(engine: Engine, statement: Executable, parameters: Mapping[str, Any]) -> Row[Any] | None:
    with engine.connect() as connection:
        return connection.execute(statement, parameters).first()


def _read_engine() -> Engine:
    """This application's read pool: the main engine's database, autocommit, no pre-ping."""
    main = db.engine
    if main.dialect.name != "postgresql":
        # SQLite is a file in this process: no round trip to save, and one pool keeps it simple.
        return main.execution_options(isolation_level="AUTOCOMMIT")
    engine: Engine | None = current_app.extensions.get(EXTENSION_KEY)
    if engine is None or engine.url != main.url:
        options = {**current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        options.update(pool_pre_ping=False, isolation_level="AUTOCOMMIT")
        engine = create_engine(main.url, **options)
        current_app.extensions[EXTENSION_KEY] = engine
    return engine
