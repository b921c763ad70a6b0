"""Health endpoints for load balancers and orchestrators: /healthz (alive) and /readyz (ready)."""

from __future__ import annotations

import logging
from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from maintenance.config import ROOT
from maintenance.extensions import db

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)

MIGRATIONS = ROOT / "migrations"
VERSION_TABLE = "alembic_version"


@lru_cache(maxsize=1)
def code_revisions() -> frozenset[str]:
    """The Alembic head revision(s) this code expects, read once from the migrations folder."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def database_revisions() -> frozenset[str]:
    """The revision(s) the database is at; empty when it was never migrated. Raises if down."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        # Read Alembic's table directly: its MigrationContext logs a line on every probe.
        if not inspect(connection).has_table(VERSION_TABLE):
            return frozenset()
        return frozenset(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def migration_problem() -> str | None:
    """Why the database schema does not match the code, or None when it is at head."""
    current = database_revisions()
    expected = code_revisions()
    if current == expected:
        return None
    if not current:
        return "database has no schema yet: run `maintenance db upgrade`"
    have, want = ", ".join(sorted(current)), ", ".join(sorted(expected))
    return f"database is at revision {have}, the code expects {want}: run `maintenance db upgrade`"


def readiness_problem() -> str | None:
    """Why this process should not get traffic yet (database down, schema behind), or None.

    /readyz is public (a probe carries no secret), so the answer names no host, user or
    driver message; the driver's first line, which says what failed, goes to the log.
    """
    try:
        return migration_problem()
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip()
        first = detail.splitlines()[0] if detail else type(error).__name__
        logger.warning("readiness: database unreachable: %s", first)
        return "database unreachable: see the service log"


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers; nothing else is touched, so a database outage restarts no worker."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database answers and its schema is at head, else 503 with the reason."""
    problem = readiness_problem()
    if problem is not None:
        return jsonify(status="unavailable", reason=problem), 503
    return jsonify(status="ready", revision=sorted(code_revisions())), 200
