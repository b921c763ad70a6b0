"""Pieces the OpenAPI document is built from: references, JSON bodies, the error responses."""

from __future__ import annotations

from typing import Any

from maintenance.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

ERROR_DESCRIPTIONS = {
    401: "No valid bearer token.",
    403: "The token's role may not do this.",
    404: "Not found, or another organisation's (the same answer, so ids do not leak).",
    405: "Method not allowed on this path.",
    406: "The Accept header asks for a type this operation does not give.",
    409: "Conflicts with what exists (e.g. the serial is registered by another shop).",
    413: "The body is larger than the upload limit (1 MiB by default).",
    422: "The request has errors; `details` names each one.",
}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema in components."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON body of the schema."""
    return {"application/json": {"schema": schema}}


def error_responses(*codes: int) -> dict[str, Any]:
    """The error responses an endpoint can give, all with the {"error", "details"} body."""
    return {
        str(code): {"description": ERROR_DESCRIPTIONS[code], "content": json_content(ref("Error"))}
        for code in codes
    }


PAGINATION = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "description": "Items per page.",
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "The `next_cursor` of the previous page; leave out for the first page.",
    },
]


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
