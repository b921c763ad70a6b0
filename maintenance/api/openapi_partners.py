"""The OpenAPI parts of service requests (a partner's token); merged into the document."""

from __future__ import annotations

from typing import Any

from maintenance.api.openapi_parts import PAGINATION, error_responses, json_content, query, ref
from maintenance.models.partner import REQUEST_STATES
from maintenance.services.lookups import MAX_ID

TEXT = {"type": ["string", "null"]}

PARTNER_SCHEMAS: dict[str, Any] = {
    "ServiceRequest": {
        "type": "object",
        "required": ["id", "status", "task", "unit", "contact", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"enum": list(REQUEST_STATES)},
            "task": {"type": "string", "description": "The uniform task id."},
            "unit": {
                "type": "object",
                "properties": {
                    "gtin": {"type": "string"},
                    "serial": TEXT,
                    "brand": {"type": "string"},
                    "model": {"type": "string"},
                    "category": {"type": "string"},
                },
            },
            "contact": {
                "type": "object",
                "description": "What the owner shared with this partner; null once erased.",
                "properties": {"email": TEXT, "phone": TEXT},
            },
            "postcode": TEXT,
            "preferred_days": TEXT,
            "note": TEXT,
            "created_at": {"type": "string", "format": "date-time"},
            "proposed_time": TEXT,
            "decline_reason": TEXT,
            "done_on": {"type": ["string", "null"], "format": "date"},
        },
    },
    "ServiceRequestPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": ref("ServiceRequest")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
}


REQUEST_ID = {
    "name": "request_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _answer(operation: str, summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation,
            "summary": summary,
            "parameters": [REQUEST_ID],
            "requestBody": {"required": True, "content": json_content(body)},
            "responses": {
                "200": {
                    "description": "The request as it is now; the owner is told.",
                    "content": json_content(ref("ServiceRequest")),
                },
                **error_responses(401, 403, 404, 413, 422),
            },
        }
    }


def _body(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


SHORT = {"type": "string", "minLength": 1, "maxLength": 200}

PARTNER_PATHS: dict[str, Any] = {
    "/api/v1/service-requests": {
        "get": {
            "operationId": "listServiceRequests",
            "summary": "The partner's service requests, newest first (partner token).",
            "parameters": [
                *PAGINATION,
                query("status", {"enum": list(REQUEST_STATES)}, "Only this status."),
            ],
            "responses": {
                "200": {
                    "description": "The requests.",
                    "content": json_content(ref("ServiceRequestPage")),
                },
                **error_responses(401, 403, 422),
            },
        }
    },
    "/api/v1/service-requests/{request_id}": {
        "get": {
            "operationId": "getServiceRequest",
            "summary": "One of the partner's service requests (as a webhook names it).",
            "parameters": [REQUEST_ID],
            "responses": {
                "200": {
                    "description": "The request as it is now.",
                    "content": json_content(ref("ServiceRequest")),
                },
                **error_responses(401, 403, 404),
            },
        }
    },
    "/api/v1/service-requests/{request_id}/accept": _answer(
        "acceptServiceRequest",
        "Accept an open request with a proposed time.",
        _body(["proposed_time"], proposed_time=SHORT),
    ),
    "/api/v1/service-requests/{request_id}/decline": _answer(
        "declineServiceRequest",
        "Decline a request with a reason.",
        _body(["reason"], reason={"type": "string", "minLength": 1, "maxLength": 500}),
    ),
    "/api/v1/service-requests/{request_id}/done": _answer(
        "completeServiceRequest",
        "Mark the task done on the visit date (not in the future): done by the partner.",
        _body(
            ["done_on"],
            done_on={"type": "string", "format": "date"},
            note={"type": ["string", "null"], "maxLength": 2000},
        ),
    ),
}
