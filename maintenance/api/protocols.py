"""/api/v1/protocols: publish a protocol (or try it with dry_run=true) and read back what was."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from flask import Response, jsonify, request, url_for

from maintenance.api import api
from maintenance.api.auth import api_user, token_required
from maintenance.api.pagination import page_json, read_page
from maintenance.models import Protocol, ProtocolVersion
from maintenance.services.identifiers import IdentifierError, normalize_gtin
from maintenance.services.lookups import (
    ProtocolFilter,
    latest_versions,
    model_gtins,
    own_protocol,
    protocol_version,
    protocols_page,
)
from maintenance.services.protocols import ProtocolInvalid, load_categories, load_protocol
from maintenance.services.protocols.dry_run import dry_run
from maintenance.services.protocols.publish import PublishConflict, PublishRefused, publish_protocol
from maintenance.web.errors import ApiError

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


class _Dumper(yaml.SafeDumper):
    """Writes digit strings (GTINs) in quotes: a YAML 1.2 reader takes bare ones for numbers."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def invalid(path: str, message: str) -> ApiError:
    """A 422 naming one query parameter or field."""
    return ApiError(422, "the request has errors", [{"path": path, "message": message}])


def _dry_run_asked() -> bool:
    value = request.args.get("dry_run", "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise invalid("dry_run", "must be true or false")
    return value in ("true", "1")


@api.post("/protocols")
@token_required("manufacturer")
def create_protocol() -> tuple[dict, int]:
    """Validate and publish a protocol; 201 with the version, or 422 with located errors."""
    asked_dry_run = _dry_run_asked()
    try:
        document = load_protocol(request.get_data(cache=False), filename="<request>")
    except ProtocolInvalid as exc:
        raise ApiError(422, "the protocol has errors", [e.as_dict() for e in exc.errors]) from None
    try:
        if asked_dry_run:
            return _dry_run_json(dry_run(document, user=api_user())), 200
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


def _dry_run_json(result: Any) -> dict[str, Any]:
    return {
        "dry_run": True,
        "outcome": result.outcome,
        "id": result.protocol_id,
        "version": result.version,
        "tasks": {"added": result.added, "removed": result.removed, "changed": result.changed},
        "units_replanned": result.units_replanned,
    }


def _version_json(version: ProtocolVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "published_at": version.published_at.isoformat(),
        "content_hash": version.content_hash,
        "tasks": [task.key for task in version.tasks],
        "url": url_for("public.protocol_version", version_id=version.id, _external=True),
        "document_url": url_for(
            "api.get_protocol_version",
            protocol_id=version.protocol_id,
            number=version.number,
            _external=True,
        ),
    }


def protocol_json(protocol: Protocol, current: ProtocolVersion | None) -> dict[str, Any]:
    """A protocol as the list shows it: what it covers and its version in force."""
    return {
        "id": protocol.id,
        "category": protocol.category,
        "scope": "default" if protocol.scope == "default" else "models",
        "gtins": model_gtins(protocol),
        "title": dict(current.title) if current is not None else {},
        "version": current.number if current is not None else None,
        "updated_at": current.published_at.isoformat() if current is not None else None,
    }


def _filters() -> ProtocolFilter:
    category = request.args.get("category")
    if category is not None and category not in load_categories():
        raise invalid("category", "not a category id of protocols/categories.yaml")
    gtin = request.args.get("gtin")
    if gtin is not None:
        try:
            gtin = normalize_gtin(gtin)
        except IdentifierError as exc:
            raise invalid("gtin", str(exc)) from None
    since = request.args.get("updated_since")
    updated_since = None
    if since is not None:
        try:
            updated_since = datetime.fromisoformat(since)
        except ValueError:
            raise invalid("updated_since", "must be a time as 2026-01-31T09:00:00Z") from None
        if updated_since.tzinfo is None:
            updated_since = updated_since.replace(tzinfo=UTC)
    return ProtocolFilter(category=category, gtin=gtin, updated_since=updated_since)


@api.get("/protocols")
@token_required("manufacturer")
def list_protocols() -> dict:
    """The caller's protocols, newest first, a page at a time, optionally filtered."""
    limit, cursor = read_page(filters=("category", "gtin", "updated_since"))
    rows = protocols_page(api_user(), limit + 1, below=cursor, where=_filters())
    current = latest_versions(rows[:limit])
    return page_json(rows, limit, lambda row: protocol_json(row, current.get(row.id)))


def _protocol_or_404(protocol_id: int) -> Protocol:
    protocol = own_protocol(api_user(), protocol_id)
    if protocol is None:
        raise ApiError(404, f"there is no protocol {protocol_id}")
    return protocol


@api.get("/protocols/<int:protocol_id>")
@token_required("manufacturer")
def get_protocol(protocol_id: int) -> dict:
    """One of the caller's protocols with every published version."""
    protocol = _protocol_or_404(protocol_id)
    versions = protocol.versions
    body = protocol_json(protocol, versions[-1] if versions else None)
    body["versions"] = [_version_json(version) for version in versions]
    return body


@api.get("/protocols/<int:protocol_id>/versions/<int:number>")
@token_required("manufacturer")
def get_protocol_version(protocol_id: int, number: int) -> Response:
    """The document of one version as published, as JSON or YAML by the Accept header."""
    version = protocol_version(_protocol_or_404(protocol_id), number)
    if version is None:
        raise ApiError(404, f"protocol {protocol_id} has no version {number}")
    accept = request.accept_mimetypes
    # No Accept header means anything will do: JSON, as the rest of the API answers.
    wanted = accept.best_match(["application/json", *YAML_TYPES]) if accept else "application/json"
    if wanted is None:
        raise ApiError(406, "ask for application/json or application/yaml in Accept")
    if wanted == "application/json":
        return jsonify(version.document)
    text = yaml.dump(version.document, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    return Response(text, mimetype=wanted)
