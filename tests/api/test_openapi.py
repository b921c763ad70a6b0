"""The OpenAPI document matches the routes, is valid OpenAPI 3.1, and lists paginate."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.builders import GTIN, make_model

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI syntax, method) of every route under /api/v1."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def documented(document: dict) -> set[tuple[str, str]]:
    """(path, method) of every operation in the document."""
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_route_is_documented_and_every_documented_operation_exists(
    app: Flask, client: FlaskClient
) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert routes(app) - documented(document) == set(), "routes missing from the document"
    assert documented(document) - routes(app) == set(), "documented operations with no route"


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert document["servers"] == [{"url": "http://localhost"}]


def test_every_operation_has_auth_schemas_and_the_error_shape(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `maintenance tokens create --email E`.",
    }
    assert document["security"] == [{"bearer": []}]
    for path, method in documented(document):
        operation = document["paths"][path][method]
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), (path, method)
        for code, response in responses.items():
            assert "content" in response, (path, method, code)
        if path.endswith("openapi.json"):
            assert operation["security"] == []
            continue
        assert "401" in responses, (path, method)
        for code, response in responses.items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, code)
        if method == "post" and not path.endswith("/void"):  # voiding takes no body
            assert operation["requestBody"]["content"], (path, method)


def test_list_operations_take_limit_and_cursor(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    lists = [
        (path, item["get"])
        for path, item in document["paths"].items()
        if "get" in item and "{" not in path and not path.endswith("openapi.json")
    ]
    assert lists, "expected at least one list operation"
    for path, operation in lists:
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"limit", "cursor"} <= names, path
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert page["$ref"].endswith("Page"), path


def test_units_are_listed_newest_first_a_page_at_a_time(
    client: FlaskClient, db: object, make_user: object, token_for: object
) -> None:
    make_model()
    shop = token_for(make_user(role="retailer", organisation="Shop A"))
    other = token_for(make_user(role="retailer", organisation="Shop B"))
    ids = [
        client.post("/api/v1/units", json={"gtin": GTIN, "serial": f"SN{n}"}, headers=shop).json[
            "id"
        ]
        for n in range(5)
    ]
    client.post("/api/v1/units", json={"gtin": GTIN, "serial": "B1"}, headers=other)
    seen, cursor = [], None
    for _ in range(3):
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/units", query_string=query, headers=shop).json
        seen += [unit["id"] for unit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))  # newest first, no repeats, no other shop's unit
    assert cursor is None
    first = client.get("/api/v1/units", headers=shop).json
    assert len(first["items"]) == 5 and first["next_cursor"] is None


def test_bad_page_parameters_are_422(client: FlaskClient, make_user: object, token_for) -> None:
    shop = token_for(make_user(role="retailer"))
    for query in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "abc"}, {"page": 2}):
        response = client.get("/api/v1/units", query_string=query, headers=shop)
        assert response.status_code == 422, query
        assert response.json["details"][0]["path"] in ("limit", "cursor", "page")
