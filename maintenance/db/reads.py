"""One-statement reads for the busiest pages, on a pool of autocommit connections."""

# The unit page reads once per scan and changes nothing, so it needs no transaction: without
# BEGIN and ROLLBACK psycopg also keeps the statement prepared (it forgets prepared statements
# at a ROLLBACK), and PostgreSQL does not plan it again on every scan. This pool does not ping a
# connection before each use (the main pool does, a round trip per request); a read that finds
# its connection dropped (a database restart) is run once more on a fresh pool instead, which is
# safe because a read changes nothing. The same goes for a migration that changes the type of a
# column a prepared statement returns: PostgreSQL refuses to run the stale plan ("cached plan
# must not change result type", SQLSTATE 0A000), every pooled connection holds one, and a fresh
# pool prepares the statement again for the new schema.
#
# On PostgreSQL the statement is compiled by SQLAlchemy once and then run on the driver's own
# connection: SQLAlchemy's execution context and result set-up cost more than the rest of the
# read on the client. So parameters go to psycopg as given (str, int, date) and rows come back as
# psycopg's tuples, without SQLAlchemy's type processing.

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import Executable, create_engine
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.elements import ClauseElement

from maintenance.extensions import db

EXTENSION_KEY = "maintenance.db.reads"
# feature_not_supported: what PostgreSQL answers when a prepared statement's result type changed.
STALE_PLAN_SQLSTATE = "0A000"


def read_first(statement: Executable, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The statement's first row, read in autocommit; retried once on a dropped connection."""
    engine = _read_engine()
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            row = connection.execute(statement, parameters).first()
        return tuple(row) if row is not None else None
    sql, constants = _compiled(statement, engine.dialect)
    values = {**constants, **parameters}
    for attempt in (1, 2):
        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            return driver.execute(sql, values).fetchone()
        except engine.dialect.loaded_dbapi.Error as error:
            if attempt == 2 or not _pool_is_stale(engine, error, raw):
                raise
            # A restart dropped, or a migration outdated, every pooled connection alike: start
            # the pool afresh.
            raw.invalidate(error)
            engine.dispose()
        finally:
            raw.close()
    raise AssertionError("unreachable")


def _pool_is_stale(engine: Engine, error: Any, connection: Any) -> bool:
    """Whether the error is a dropped connection or a plan outdated by a schema change."""
    if getattr(error, "sqlstate", None) == STALE_PLAN_SQLSTATE:
        return True
    operational = isinstance(error, engine.dialect.loaded_dbapi.OperationalError)
    return operational and engine.dialect.is_disconnect(error, connection, None)


@lru_cache(maxsize=64)
def _compiled(statement: ClauseElement, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The statement's SQL for the dialect and the values of the parameters it fixes itself."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


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
