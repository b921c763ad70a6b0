"""Many rows into one table in one statement, in the caller's transaction (no commit here)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Insert,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
)

from maintenance.extensions import db


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows that all have the same columns; how many."""
    if not rows:
        return 0
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(table), list(rows))  # Core executemany: no ORM objects
        return len(rows)
    # All rows as one JSON parameter that PostgreSQL turns into records: one short statement
    # that stays prepared however many rows, and json encodes in C, where psycopg dumped
    # values one by one in Python and parsed a statement of hundreds of parameters anew.
    payload = json.dumps(rows, default=_json_value)
    db.session.execute(_insert_from_json(table, tuple(rows[0])), {"rows": payload})
    return len(rows)


@lru_cache(maxsize=16)
def _insert_from_json(table: Table, columns: tuple[str, ...]) -> Insert:
    """INSERT ... SELECT from the JSON parameter "rows"; built (and keyed) once per columns."""
    given = func.json_populate_recordset(
        literal_column(f"null::{table.name}"), cast(bindparam("rows", type_=String), JSON)
    ).table_valued(*columns)
    return insert(table).from_select(columns, select(*(given.c[name] for name in columns)))


def _json_value(value: object) -> str:
    """Dates as ISO 8601 for json; datetimes only aware, as UtcDateTime stores them."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")
