"""Many rows into (or changed in) one table in one statement, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    Table,
    Update,
    any_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from maintenance.extensions import db


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL, where the bulk paths below apply."""
    return db.session.get_bind().dialect.name == "postgresql"


def id_in(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """column IN ids; on PostgreSQL as = ANY(one array), so the statement text never changes.

    psycopg parses a statement with more than 50 parameters anew on every execution; one array
    parameter keeps a batch's statement prepared.
    """
    if on_postgresql():
        array = ARRAY(Integer)
        return column == any_(cast(bindparam(None, list(ids), type_=array, unique=True), array))
    return column.in_(ids)


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows that all have the same columns; how many."""
    if not rows:
        return 0
    if not on_postgresql():
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
    return insert(table).from_select(columns, _rows_from_json(table, columns))


def _rows_from_json(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    """SELECT the columns of each row in the JSON parameter "rows", typed as the table's."""
    given = func.json_populate_recordset(
        literal_column(f"null::{table.name}"), cast(bindparam("rows", type_=String), JSON)
    ).table_valued(*columns)
    return select(*(given.c[name] for name in columns))


def insert_new_rows(
    table: Table, rows: Sequence[dict[str, Any]], unique: str, returning: tuple[str, ...]
) -> list[Row[Any]]:
    """Insert the rows whose `unique` column value is not taken yet; `returning` of those."""
    if not rows:
        return []
    if not on_postgresql():
        statement = (
            sqlite.insert(table)
            .on_conflict_do_nothing(index_elements=[unique])
            .returning(*(table.c[name] for name in returning))
        )
        return list(db.session.execute(statement, list(rows)))
    payload = json.dumps(rows, default=_json_value)
    statement = _insert_new_from_json(table, tuple(rows[0]), unique, returning)
    return list(db.session.execute(statement, {"rows": payload}))


@lru_cache(maxsize=16)
def _insert_new_from_json(
    table: Table, columns: tuple[str, ...], unique: str, returning: tuple[str, ...]
) -> Any:
    """insert_rows' statement with ON CONFLICT (unique) DO NOTHING RETURNING; built once."""
    return (
        postgresql.insert(table)
        .from_select(columns, _rows_from_json(table, columns))
        .on_conflict_do_nothing(index_elements=[unique])
        .returning(*(table.c[name] for name in returning))
    )


def update_rows(table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Set the given columns of rows found by their "id" (all rows the same keys); how many."""
    if not rows:
        return 0
    columns = tuple(name for name in rows[0] if name != "id")
    if not on_postgresql():
        # Core executemany, one UPDATE per row.
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({name: bindparam(f"_{name}") for name in columns})
        )
        db.session.execute(statement, [{f"_{k}": v for k, v in row.items()} for row in rows])
        return len(rows)
    # As insert_rows: one JSON parameter, one statement, however many rows.
    payload = json.dumps(rows, default=_json_value)
    db.session.execute(_update_from_json(table, columns), {"rows": payload})
    return len(rows)


@lru_cache(maxsize=16)
def _update_from_json(table: Table, columns: tuple[str, ...]) -> Update:
    """UPDATE ... FROM the JSON parameter "rows", matched by id; built once per columns."""
    given = (
        func.json_populate_recordset(
            literal_column(f"null::{table.name}"), cast(bindparam("rows", type_=String), JSON)
        )
        .table_valued("id", *columns)
        .alias("given")
    )
    return (
        update(table)
        .where(table.c.id == given.c.id)
        .values({name: given.c[name] for name in columns})
    )


def _json_value(value: object) -> str:
    """Dates as ISO 8601 for json; datetimes only aware, as UtcDateTime stores them."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")
