"""Schemathesis against the app, from its own OpenAPI document: valid and invalid requests.

Fails on any 5xx, any response that does not match the document, any schema-violating request
that is accepted, and any request answered with 4xx that changed rows in the main tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from maintenance.api.openapi import openapi_document
from maintenance.extensions import db as _db
from maintenance.models import (
    ApiToken,
    AuditEvent,
    ModelGtin,
    Notice,
    NoticeVersion,
    Organisation,
    ProductModel,
    Protocol,
    ProtocolVersion,
    ScanEvent,
    ServiceRequest,
    Task,
    Unit,
    User,
)
from maintenance.services.accounts import create_token, create_user
from maintenance.services.partners.profiles import register_partner
from maintenance.services.units.create import create_unit
from tests.builders import make_model

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
# The example GTIN in the OpenAPI document, so generated valid requests can succeed.
EXAMPLE_GTIN = "08712345678906"
EXAMPLE_MAKER = "Voorbeeld Apparaten B.V."  # make_model's default manufacturer
MAIN_TABLES = (
    Unit,
    Protocol,
    ProtocolVersion,
    Task,
    ProductModel,
    ModelGtin,
    Notice,
    NoticeVersion,
    Organisation,
    User,
    ApiToken,
    AuditEvent,
    ScanEvent,
    ServiceRequest,
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in each main table, in one query, from outside any request."""
    with app.app_context():
        counts = [
            select(func.count()).select_from(model).scalar_subquery() for model in MAIN_TABLES
        ]
        row = _db.session.execute(select(*counts)).one()
        _db.session.remove()
    return {model.__tablename__: n for model, n in zip(MAIN_TABLES, row, strict=True)}


@pytest.fixture
def tokens(app: Flask) -> Iterator[dict[str, dict[str, str]]]:
    """A manufacturer's and a retailer's token headers; a known model and one unit of the shop."""
    with app.app_context():
        make_model(gtin=EXAMPLE_GTIN)
        retailer = create_user("till@example.com", "retailer", "Shop A", "pw-1234567890")
        # The maker of the example model, so its model operations can succeed too.
        maker = create_user("pim@example.com", "manufacturer", EXAMPLE_MAKER, "pw-1234567890")
        create_unit(retailer.organisation, EXAMPLE_GTIN, serial="SN1", created_by=retailer)
        register_partner("Fix It", areas=["3500-3599"], email="desk@fixit.example")
        fixer = create_user("fien@example.com", "partner", "Fix It", "pw-1234567890")
        headers = {
            "partner": {"Authorization": f"Bearer {create_token(fixer)}"},
            "retailer": {"Authorization": f"Bearer {create_token(retailer)}"},
            "manufacturer": {"Authorization": f"Bearer {create_token(maker)}"},
        }
        _db.session.remove()
    yield headers


# The same structure /api/v1/openapi.json serves (tests/api/test_openapi.py keeps it true to
# the routes); loaded at import so each operation becomes its own test.
schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"))


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES or 15,
    # Same cases every run, so the suite is stable; FUZZ_EXAMPLES=500 searches wider at random.
    derandomize=not FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract_under_fuzzing(
    case: schemathesis.Case, app: Flask, tokens: dict[str, dict[str, str]]
) -> None:
    manufacturer = any(part in case.path for part in ("/protocols", "/models", "/notices"))
    role = "manufacturer" if manufacturer else "retailer"
    role = "partner" if "/service-requests" in case.path else role
    headers = tokens[role]
    before = row_counts(app)
    response = case.call(headers=headers, app=app)
    assert response.status_code < 500, response.text
    if 400 <= response.status_code < 500:
        assert row_counts(app) == before, f"{response.status_code} but rows changed"
    case.validate_response(response, checks=CHECKS, headers=headers)
