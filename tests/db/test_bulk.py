"""Bulk inserts and updates store the same rows on both databases.

PostgreSQL takes all rows as one JSON parameter (maintenance/db/bulk.py); SQLite an executemany.
The suite runs on both (TEST_DATABASE_URL), so each test here covers the branch of its database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from maintenance.db.bulk import id_in, insert_new_rows, insert_rows, update_rows
from maintenance.models import Organisation

TABLE = Organisation.__table__
AT = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def row(name: str, **values: Any) -> dict[str, Any]:
    return {"name": name, "kind": "retailer", "language": "nl", "created_at": AT, **values}


def stored(db: SQLAlchemy) -> dict[str, tuple[str, str, datetime]]:
    rows = db.session.execute(
        select(TABLE.c.name, TABLE.c.kind, TABLE.c.language, TABLE.c.created_at)
    )
    return {name: (kind, language, created) for name, kind, language, created in rows}


def test_insert_rows_stores_every_row_with_its_values(db: SQLAlchemy) -> None:
    amsterdam = timezone(timedelta(hours=1))
    rows = [
        row("Café Ünïcode — 水", kind="manufacturer"),
        row('Quote "and" back\\slash'),
        row("Other zone", created_at=datetime(2025, 3, 10, 10, 30, tzinfo=amsterdam)),
    ]

    assert insert_rows(TABLE, rows) == 3
    db.session.commit()

    assert stored(db) == {
        "Café Ünïcode — 水": ("manufacturer", "nl", AT),
        'Quote "and" back\\slash': ("retailer", "nl", AT),
        "Other zone": ("retailer", "nl", AT),  # the same instant, read back in UTC
    }


def test_insert_rows_with_nothing_to_insert_does_nothing(db: SQLAlchemy) -> None:
    assert insert_rows(TABLE, []) == 0
    assert stored(db) == {}


def test_a_naive_datetime_is_refused_and_nothing_is_stored(db: SQLAlchemy) -> None:
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        insert_rows(TABLE, [row("Early"), row("Naive", created_at=datetime(2025, 3, 10, 9, 30))])
    db.session.rollback()

    assert stored(db) == {}


def test_insert_new_rows_skips_taken_values_and_returns_only_the_new(db: SQLAlchemy) -> None:
    insert_rows(TABLE, [row("Taken", kind="manufacturer")])

    made = insert_new_rows(
        TABLE, [row("Taken"), row("New one"), row("New two")], "name", ("id", "name")
    )
    db.session.commit()

    assert sorted(name for _id, name in made) == ["New one", "New two"]
    ids = dict(db.session.execute(select(TABLE.c.name, TABLE.c.id)).tuples().all())
    assert {name: ids[name] for _id, name in made} == {name: id_ for id_, name in made}
    assert stored(db)["Taken"] == ("manufacturer", "nl", AT)  # left as it was


def test_update_rows_sets_the_given_columns_of_the_rows_named_by_id(db: SQLAlchemy) -> None:
    insert_rows(TABLE, [row("First"), row("Second"), row("Third")])
    ids = dict(db.session.execute(select(TABLE.c.name, TABLE.c.id)).tuples().all())
    later = AT + timedelta(days=1)

    changed = update_rows(
        TABLE,
        [
            {"id": ids["First"], "kind": "coordinator", "created_at": later},
            {"id": ids["Third"], "kind": "manufacturer", "created_at": later},
        ],
    )
    db.session.commit()

    assert changed == 2
    assert stored(db) == {
        "First": ("coordinator", "nl", later),
        "Second": ("retailer", "nl", AT),
        "Third": ("manufacturer", "nl", later),
    }


@pytest.mark.parametrize("count", [0, 1, 3, 500])
def test_id_in_finds_exactly_the_ids_given(db: SQLAlchemy, count: int) -> None:
    insert_rows(TABLE, [row(f"Organisation {n}") for n in range(600)])
    all_ids = sorted(db.session.scalars(select(TABLE.c.id)))
    wanted = all_ids[1 : 1 + 2 * count : 2]

    found = db.session.scalars(select(TABLE.c.id).where(id_in(TABLE.c.id, wanted))).all()

    assert sorted(found) == wanted
