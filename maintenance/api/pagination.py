"""Cursor pagination for list endpoints: ?limit=1..100&cursor=<opaque>, next_cursor back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flask import request

from maintenance.web.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class HasId(Protocol):
    """A row with an integer id (the cursor is the last id of a page)."""

    id: int


def read_page(filters: tuple[str, ...] = ()) -> tuple[int, int | None]:
    """The requested page size and the id to continue below; 422 for anything else.

    `filters` names the list's other query parameters, which the caller reads itself.
    """
    known = ("limit", "cursor", *filters)
    details = [
        {"path": name, "message": f"unknown parameter; the parameters are {', '.join(known)}"}
        for name in request.args
        if name not in known
    ]
    limit = DEFAULT_LIMIT
    raw_limit = request.args.get("limit")
    if raw_limit is not None:
        if raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            details.append({"path": "limit", "message": f"must be from 1 to {MAX_LIMIT}"})
    cursor = None
    raw_cursor = request.args.get("cursor")
    if raw_cursor is not None:
        # Cursors are opaque to clients; today they hold the last id of the previous page.
        if raw_cursor.isascii() and raw_cursor.isdigit() and len(raw_cursor) <= 18:
            cursor = int(raw_cursor)
        else:
            details.append({"path": "cursor", "message": "not a cursor this API gave out"})
    if details:
        raise ApiError(422, "the request has errors", details)
    return limit, cursor


def page_json(
    rows: Sequence[HasId], limit: int, item: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """{"items", "next_cursor"} from up to limit + 1 rows (the extra one says more exist)."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {
        "items": [item(row) for row in shown],
        "next_cursor": str(shown[-1].id) if more and shown else None,
    }
