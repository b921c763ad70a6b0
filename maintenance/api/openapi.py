"""GET /api/v1/openapi.json: the API's OpenAPI 3.1 document.

Written by hand next to the views it describes; tests/api/test_openapi.py compares it with the
routes in app.url_map both ways, and a schemathesis test checks the responses against it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from maintenance.api import api, notices_schema
from maintenance.api.openapi_integrations import (
    DRY_RUN,
    GTIN,
    INTEGRATION_PATHS,
    INTEGRATION_SCHEMAS,
    LIST_PROTOCOLS,
)
from maintenance.api.openapi_partners import PARTNER_PATHS, PARTNER_SCHEMAS
from maintenance.api.openapi_parts import PAGINATION, error_responses, json_content, query, ref
from maintenance.services.labels.sheets import LAYOUTS
from maintenance.services.units.batch import MAX_BATCH_ROWS
from maintenance.services.units.create import RETAILER_REF_MAX_LENGTH
from maintenance.services.units.find import MAX_UNIT_ID

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "details"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in one sentence."},
            "details": {"type": "array", "items": ref("ErrorDetail")},
        },
    },
    "ErrorDetail": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "path": {
                "type": "string",
                "description": "The field (`serial`, `units[2]`, `tasks[0].every`); empty for all.",
            },
            "line": {
                "type": ["integer", "null"],
                "description": "Line in an uploaded file, from 1; null when no line applies.",
            },
            "message": {"type": "string"},
        },
    },
    "UnitCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["gtin"],
        "properties": {
            "gtin": {
                "type": "string",
                "description": "GTIN-8, -12, -13 or -14 of a model a manufacturer has registered.",
                "examples": ["08712345678906"],
            },
            "serial": {
                "type": ["string", "null"],
                "maxLength": 20,
                "description": "The serial number (GS1 AI 21); without it a unit code is issued.",
            },
            "sold_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "Sale date (YYYY-MM-DD); today when left out.",
            },
            "retailer_ref": {
                "type": ["string", "null"],
                "maxLength": RETAILER_REF_MAX_LENGTH,
                "description": "The shop's own reference, e.g. the receipt number.",
            },
        },
    },
    "Unit": {
        "type": "object",
        "required": [
            "id",
            "uri",
            "gtin",
            "brand",
            "model",
            "sold_on",
            "retailer_ref",
            "labels_printed",
            "voided",
            "qr_svg",
            "qr_png",
        ],
        "properties": {
            "id": {"type": "integer"},
            "uri": {"type": "string", "description": "The GS1 Digital Link URI in the QR code."},
            "gtin": {"type": "string", "pattern": "^[0-9]{14}$"},
            "serial": {"type": "string"},
            "unit_code": {"type": "string", "description": "Issued when there is no serial."},
            "brand": {"type": "string"},
            "model": {"type": "string"},
            "sold_on": {"type": ["string", "null"], "format": "date"},
            "retailer_ref": {"type": ["string", "null"]},
            "labels_printed": {"type": "integer", "minimum": 0},
            "voided": {"type": "boolean"},
            "qr_svg": {"type": "string", "description": "URL of the QR code as SVG."},
            "qr_png": {"type": "string", "description": "URL of the QR code as PNG."},
        },
        "oneOf": [{"required": ["serial"]}, {"required": ["unit_code"]}],
    },
    "UnitPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref("Unit")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
        },
    },
    "LabelRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["units", "layout"],
        "properties": {
            "units": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_UNIT_ID},
                "minItems": 1,
                "maxItems": MAX_BATCH_ROWS,
                "description": "Unit ids, one label each, in this order.",
            },
            "layout": {"type": "string", "enum": list(LAYOUTS)},
            "start_at": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "First free position on a partly used sheet (1 = top left).",
            },
        },
    },
    "ProtocolPublished": {
        "type": "object",
        "required": ["id", "version", "category", "created", "tasks", "url"],
        "properties": {
            "id": {"type": "integer", "description": "The protocol's id."},
            "version": {"type": "integer", "description": "The version number in force now."},
            "category": {"type": "string"},
            "created": {
                "type": "boolean",
                "description": "False when the content equals the current version (nothing new).",
            },
            "tasks": {"type": "array", "items": {"type": "string"}},
            "url": {"type": "string", "description": "The public page of this version."},
        },
    },
}

UNIT_ID = {
    "name": "unit_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_UNIT_ID},
}

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": json_content({"type": "object"}),
                }
            },
        }
    },
    "/api/v1/protocols": {
        "get": LIST_PROTOCOLS,
        "post": {
            "operationId": "publishProtocol",
            "parameters": [DRY_RUN],
            "summary": "Validate and publish a maintenance protocol (manufacturer token).",
            "description": (
                "The body is a protocol in the uniform format, as YAML or JSON"
                " (docs/protocol-format.md). Errors name line and path; nothing is stored when"
                " any error exists."
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            },
            "responses": {
                "201": {
                    "description": "Published as a new version.",
                    "content": json_content(ref("ProtocolPublished")),
                },
                "200": {
                    "description": (
                        "The same content as the current version, nothing changed; or, with"
                        " dry_run=true, what publishing would change."
                    ),
                    "content": json_content({"oneOf": [ref("ProtocolPublished"), ref("DryRun")]}),
                },
                **error_responses(401, 403, 409, 413, 422),
            },
        },
    },
    "/api/v1/units": {
        "get": {
            "operationId": "listUnits",
            "summary": "The shop's units, newest first, a page at a time (retailer token).",
            "parameters": [
                *PAGINATION,
                query("gtin", GTIN, "Only units of this GTIN."),
                query("serial", {"type": "string"}, "Only the unit with this serial."),
            ],
            "responses": {
                "200": {
                    "description": "A page of units.",
                    "content": json_content(ref("UnitPage")),
                },
                **error_responses(401, 403, 422),
            },
        },
        "post": {
            "operationId": "createUnit",
            "summary": "Register a sold appliance and get its label URI (retailer token).",
            "requestBody": {"required": True, "content": json_content(ref("UnitCreate"))},
            "responses": {
                "201": {"description": "Registered.", "content": json_content(ref("Unit"))},
                "200": {
                    "description": "This shop had registered it already (e.g. a second scan).",
                    "content": json_content(ref("Unit")),
                },
                **error_responses(401, 403, 409, 413, 422),
            },
        },
    },
    "/api/v1/units/{unit_id}": {
        "get": {
            "operationId": "getUnit",
            "summary": "One of the shop's units (retailer token).",
            "parameters": [UNIT_ID],
            "responses": {
                "200": {"description": "The unit.", "content": json_content(ref("Unit"))},
                **error_responses(401, 403, 404),
            },
        }
    },
    "/api/v1/units/{unit_id}/void": {
        "post": {
            "operationId": "voidUnit",
            "summary": "Withdraw a unit registered by mistake; its URI then answers 410.",
            "parameters": [UNIT_ID],
            "responses": {
                "200": {"description": "The voided unit.", "content": json_content(ref("Unit"))},
                **error_responses(401, 403, 404, 413),
            },
        }
    },
    "/api/v1/labels": {
        "post": {
            "operationId": "printLabels",
            "summary": "One PDF with a label per unit, in a label layout (retailer token).",
            "requestBody": {"required": True, "content": json_content(ref("LabelRequest"))},
            "responses": {
                "200": {
                    "description": "The labels.",
                    "content": {"application/pdf": {"schema": {"type": "string"}}},
                },
                **error_responses(401, 403, 404, 413, 422),
            },
        }
    },
}


# Recalls and service notices are described next to their views (maintenance/api/notices.py).
SCHEMAS.update(notices_schema.SCHEMAS)
PATHS.update(notices_schema.PATHS)


def openapi_document(base_url: str) -> dict[str, Any]:
    """The whole document, with the service's own origin as its server."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Appliance maintenance API",
            "version": API_VERSION,
            "description": "Units, labels and maintenance protocols. See docs/api.md.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": {**PATHS, **INTEGRATION_PATHS, **PARTNER_PATHS},
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `maintenance tokens create --email E`.",
                }
            },
            "schemas": {**SCHEMAS, **INTEGRATION_SCHEMAS, **PARTNER_SCHEMAS},
        },
    }


@api.get("/openapi.json")
def openapijson_content() -> dict[str, Any]:
    """The OpenAPI document; public, so integrators can read it before they have a token."""
    return openapi_document(current_app.config["BASE_URL"])
