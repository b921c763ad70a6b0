"""The OpenAPI parts of what integrators read back: protocols, their versions, dry runs, models.

Merged into the document by openapi.py; tests/api/test_openapi.py checks it against the routes.
"""

from __future__ import annotations

from typing import Any

from maintenance.api.openapi_parts import PAGINATION, error_responses, json_content, query, ref
from maintenance.services.lookups import MAX_ID
from maintenance.services.product_links import LINK_TYPES

URL = {"type": "string", "format": "uri"}
LINKS = {
    "type": "object",
    "description": "By GS1 link type (https://gs1.org/voc/<type>); warranty is registerProduct.",
    "properties": {key: URL for key in LINK_TYPES},
    "additionalProperties": False,
}
GTIN = {"type": "string", "pattern": "^[0-9]{8}$|^[0-9]{12,14}$", "examples": ["08712345678906"]}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


INTEGRATION_SCHEMAS: dict[str, Any] = {
    "Protocol": {
        "type": "object",
        "required": ["id", "category", "scope", "gtins", "title", "version", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "category": {"type": "string"},
            "scope": {"enum": ["default", "models"], "description": "A category default or not."},
            "gtins": {"type": "array", "items": {"type": "string"}},
            "title": {"type": "object", "additionalProperties": {"type": "string"}},
            "version": {"type": ["integer", "null"], "description": "The number in force."},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ProtocolPage": _page("Protocol"),
    "ProtocolVersion": {
        "type": "object",
        "required": ["number", "published_at", "content_hash", "tasks", "url", "document_url"],
        "properties": {
            "number": {"type": "integer"},
            "published_at": {"type": "string", "format": "date-time"},
            "content_hash": {"type": "string"},
            "tasks": {"type": "array", "items": {"type": "string"}},
            "url": {"type": "string", "description": "The public page of this version."},
            "document_url": {"type": "string", "description": "The document, JSON or YAML."},
        },
    },
    "ProtocolDetail": {
        "allOf": [
            ref("Protocol"),
            {
                "type": "object",
                "required": ["versions"],
                "properties": {"versions": {"type": "array", "items": ref("ProtocolVersion")}},
            },
        ]
    },
    "DryRun": {
        "type": "object",
        "required": ["dry_run", "outcome", "id", "version", "tasks", "units_replanned"],
        "properties": {
            "dry_run": {"const": True},
            "outcome": {"enum": ["new_protocol", "new_version", "identical"]},
            "id": {"type": ["integer", "null"], "description": "null for a new protocol."},
            "version": {"type": "integer", "description": "The number that would be in force."},
            "tasks": {
                "type": "object",
                "required": ["added", "removed", "changed"],
                "properties": {
                    name: {"type": "array", "items": {"type": "string"}}
                    for name in ("added", "removed", "changed")
                },
            },
            "units_replanned": {"type": "integer", "minimum": 0},
        },
    },
    "Model": {
        "type": "object",
        "required": ["gtins", "brand", "name", "category", "protocol", "links"],
        "properties": {
            "gtins": {"type": "array", "items": {"type": "string"}},
            "brand": {"type": "string"},
            "name": {"type": "string"},
            "category": {"type": "string"},
            "protocol": {
                "type": ["object", "null"],
                "properties": {"id": {"type": "integer"}, "version": {"type": "integer"}},
            },
            "links": LINKS,
        },
    },
    "ModelPage": _page("Model"),
    "ModelLinks": {
        "type": "object",
        "description": "A URL sets a link, null removes it; types left out stay as they are.",
        "properties": {key: {"type": ["string", "null"], "format": "uri"} for key in LINK_TYPES},
        "additionalProperties": False,
    },
}

PROTOCOL_ID = {"name": "protocol_id", "in": "path", "required": True, "schema": ID}
MODEL_GTIN = {"name": "gtin", "in": "path", "required": True, "schema": GTIN}

LIST_PROTOCOLS = {
    "operationId": "listProtocols",
    "summary": "The caller's protocols, newest first, a page at a time (manufacturer token).",
    "parameters": [
        *PAGINATION,
        query("category", {"type": "string"}, "Only this category (an id of categories.yaml)."),
        query("gtin", GTIN, "Only the protocol in force for the model with this GTIN."),
        query(
            "updated_since",
            {"type": "string", "format": "date-time"},
            "Only protocols with a version published at or after this time.",
        ),
    ],
    "responses": {
        "200": {
            "description": "A page of protocols.",
            "content": json_content(ref("ProtocolPage")),
        },
        **error_responses(401, 403, 422),
    },
}

DRY_RUN = query(
    "dry_run",
    {"type": "boolean", "default": False},
    "Answer what publishing would change (a `DryRun`, status 200) and store nothing.",
)

INTEGRATION_PATHS: dict[str, Any] = {
    "/api/v1/protocols/{protocol_id}": {
        "get": {
            "operationId": "getProtocol",
            "summary": "One of the caller's protocols with its versions (manufacturer token).",
            "parameters": [PROTOCOL_ID],
            "responses": {
                "200": {
                    "description": "The protocol.",
                    "content": json_content(ref("ProtocolDetail")),
                },
                **error_responses(401, 403, 404),
            },
        }
    },
    "/api/v1/protocols/{protocol_id}/versions/{number}": {
        "get": {
            "operationId": "getProtocolVersion",
            "summary": "A version's document as published: JSON or YAML by Accept.",
            "parameters": [
                PROTOCOL_ID,
                {"name": "number", "in": "path", "required": True, "schema": ID},
            ],
            "responses": {
                "200": {
                    "description": "The document (docs/protocol-format.md).",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "application/yaml": {"schema": {"type": "string"}},
                    },
                },
                **error_responses(401, 403, 404, 406),
            },
        }
    },
    "/api/v1/models": {
        "get": {
            "operationId": "listModels",
            "summary": "The caller's product models, newest first (manufacturer token).",
            "parameters": PAGINATION,
            "responses": {
                "200": {
                    "description": "A page of models.",
                    "content": json_content(ref("ModelPage")),
                },
                **error_responses(401, 403, 422),
            },
        }
    },
    "/api/v1/models/{gtin}": {
        "get": {
            "operationId": "getModel",
            "summary": "One of the caller's models by any of its GTINs (manufacturer token).",
            "parameters": [MODEL_GTIN],
            "responses": {
                "200": {"description": "The model.", "content": json_content(ref("Model"))},
                **error_responses(401, 403, 404),
            },
        }
    },
    "/api/v1/models/{gtin}/links": {
        "put": {
            "operationId": "setModelLinks",
            "summary": "Set or remove the model's own links (manual, shop, DPP, warranty...).",
            "parameters": [MODEL_GTIN],
            "requestBody": {"required": True, "content": json_content(ref("ModelLinks"))},
            "responses": {
                "200": {
                    "description": "The model with its links.",
                    "content": json_content(ref("Model")),
                },
                **error_responses(401, 403, 404, 413, 422),
            },
        }
    },
}
