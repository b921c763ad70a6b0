"""POST /api/v1/protocols: publish a protocol from YAML or JSON."""

from __future__ import annotations

from flask import request, url_for

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.services.protocols import ProtocolInvalid, load_protocol
from maintenance.services.protocols.publish import PublishConflict, PublishRefused, publish_protocol
from maintenance.web.errors import ApiError


@api.post("/protocols")
@token_required("manufacturer")
def create_protocol() -> tuple[dict, int]:
    """Validate and publish a protocol; 201 with the version, or 422 with located errors."""
    try:
        document = load_protocol(request.get_data(cache=False), filename="<request>")
    except ProtocolInvalid as exc:
        raise ApiError(422, "the protocol has errors", [e.as_dict() for e in exc.errors]) from None
    try:
        published = publish_protocol(document, user=api_user())
    except PublishRefused as exc:
        details = [error.as_dict() for error in exc.errors]
        raise ApiError(403, exc.summary if details else str(exc), details) from None
    except PublishConflict as exc:
        raise ApiError(409, str(exc)) from None
    version = published.version
    body = {
        "id": version.protocol_id,
        "version": version.number,
        "category": version.protocol.category,
        "created": published.created,
        "tasks": [task.key for task in version.tasks],
        "url": url_for("public.protocol_version", version_id=version.id, _external=True),
    }
    return body, 201 if published.created else 200
