"""The notices part of the OpenAPI document (maintenance/api/openapi.py merges it in)."""

from __future__ import annotations

from typing import Any

from maintenance.i18n import LANGUAGES
from maintenance.services.notices.selection import MAX_GTINS, MAX_LISTED, MAX_RANGES
from maintenance.services.notices.texts import CONTACT_FIELDS, REMEDIES, TEXT_FIELDS

ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
ERRORS = {
    "401": {"description": "No valid bearer token.", **ERROR},
    "403": {"description": "The token's role may not do this.", **ERROR},
    "404": {"description": "No such notice, or another manufacturer's.", **ERROR},
    "409": {"description": "The notice is not sent (or closed): it takes no update.", **ERROR},
    "413": {"description": "The body is larger than the upload limit.", **ERROR},
    "422": {"description": "The notice has errors; `details` names each one.", **ERROR},
}
NULLABLE_TEXT = {"type": ["string", "null"]}


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(required),
        "properties": properties,
    }


VERSION_PROPERTIES: dict[str, Any] = {
    "texts": _object(
        {
            language: _object({name: NULLABLE_TEXT for name in TEXT_FIELDS})
            for language in LANGUAGES
        },
        required=LANGUAGES,
    ),
    "picture_url": {**NULLABLE_TEXT, "description": "An https:// address of a picture."},
    "remedies": {
        "type": ["array", "null"],
        "items": {"type": "string", "enum": list(REMEDIES)},
        "description": "What owners are offered, free of charge; a recall needs one or more.",
    },
    "contact": _object({name: NULLABLE_TEXT for name in CONTACT_FIELDS}),
}

SCHEMAS: dict[str, Any] = {
    "NoticeCreate": {
        **_object(
            {
                "kind": {"type": "string", "enum": ["recall", "service"]},
                "reference": {**NULLABLE_TEXT, "description": "Your own reference."},
                "urgent": {
                    "type": ["boolean", "null"],
                    "description": "Text messages go in quiet hours (21:00-08:00) too.",
                },
                "gtins": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": MAX_GTINS,
                },
                "serials": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "properties": {
                        "ranges": {
                            "type": ["array", "null"],
                            "maxItems": MAX_RANGES,
                            "items": {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                            "description": "[first, last] serial per range (see docs/recalls.md).",
                        },
                        "list": {
                            "type": ["array", "null"],
                            "maxItems": MAX_LISTED,
                            "items": {"type": "string"},
                        },
                    },
                },
                "sold_from": {"type": ["string", "null"], "format": "date"},
                "sold_until": {"type": ["string", "null"], "format": "date"},
                **VERSION_PROPERTIES,
            },
            required=("kind", "gtins", "texts", "contact"),
        ),
        "description": "Texts per language (nl and en) with the GPSR Art. 36 elements.",
    },
    "NoticeVersionCreate": _object(VERSION_PROPERTIES, required=("texts", "contact")),
    "DryRun": {
        "type": "object",
        "required": ["dry_run"],
        "properties": {
            "dry_run": {
                "type": "object",
                "required": [
                    "units",
                    "units_reachable",
                    "units_without_owner",
                    "owners",
                    "owners_unreachable",
                    "by_channel",
                ],
                "properties": {
                    "units": {"type": "integer"},
                    "units_reachable": {"type": "integer"},
                    "units_without_owner": {"type": "integer"},
                    "owners": {"type": "integer"},
                    "owners_unreachable": {"type": "integer"},
                    "by_channel": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                    },
                },
            }
        },
    },
    "Notice": {
        "type": "object",
        "required": ["id", "kind", "status", "gtins", "versions", "figures", "url"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["recall", "service"]},
            "reference": {"type": "string"},
            "urgent": {"type": "boolean"},
            "status": {"type": "string", "enum": ["draft", "sent", "closed"]},
            "gtins": {"type": "array", "items": {"type": "string"}},
            "serials": {"type": "object"},
            "sold_from": {"type": ["string", "null"]},
            "sold_until": {"type": ["string", "null"]},
            "sent_at": {"type": ["string", "null"]},
            "closed_at": {"type": ["string", "null"]},
            "url": {"type": "string", "description": "The notice's public page."},
            "versions": {"type": "array", "items": {"type": "object"}},
            "figures": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "units, units_acted, units_without_owner, owners, reached,"
                " waiting, opened, acted, bounced, stopped.",
            },
        },
    },
}

NOTICE_ID = {
    "name": "notice_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}

PATHS: dict[str, Any] = {
    "/api/v1/notices": {
        "post": {
            "operationId": "createNotice",
            "summary": "Dry-run or send a recall or service notice (manufacturer token).",
            "description": (
                "With `dry_run=true` nothing is stored: the answer says how many units it"
                " affects and how many owners it reaches by which channel. Without it, the"
                " notice is stored and sent to every reachable owner. See docs/recalls.md."
            ),
            "parameters": [
                {
                    "name": "dry_run",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "boolean", "default": False},
                }
            ],
            "requestBody": {"required": True, "content": _json("NoticeCreate")},
            "responses": {
                "200": {"description": "The dry run's counts.", "content": _json("DryRun")},
                "201": {"description": "Stored and sent.", "content": _json("Notice")},
                **{code: ERRORS[code] for code in ("401", "403", "413", "422")},
            },
        }
    },
    "/api/v1/notices/{notice_id}": {
        "get": {
            "operationId": "getNotice",
            "summary": "One of your notices with its figures (manufacturer token).",
            "parameters": [NOTICE_ID],
            "responses": {
                "200": {"description": "The notice.", "content": _json("Notice")},
                **{code: ERRORS[code] for code in ("401", "403", "404")},
            },
        }
    },
    "/api/v1/notices/{notice_id}/versions": {
        "post": {
            "operationId": "addNoticeVersion",
            "summary": "Update a sent notice: a new version to the same owners (manufacturer).",
            "parameters": [NOTICE_ID],
            "requestBody": {"required": True, "content": _json("NoticeVersionCreate")},
            "responses": {
                "201": {
                    "description": "The notice with its new version.",
                    "content": _json("Notice"),
                },
                **{code: ERRORS[code] for code in ("401", "403", "404", "409", "413", "422")},
            },
        }
    },
}
