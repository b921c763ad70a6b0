"""POST /api/v1/protocols: 201 with id and version, 422 with located errors, roles enforced."""

from __future__ import annotations

from maintenance.models import ProtocolVersion
from tests.builders import count, gtin, protocol_yaml


def test_a_manufacturer_publishes_yaml_and_gets_id_and_version(client, db, make_user, token_for):
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    body = protocol_yaml(manufacturer="Acme", models=[(gtin("871234500201"), "DW 9")])
    response = client.post(
        "/api/v1/protocols", data=body, headers=token_for(maker), content_type="application/yaml"
    )
    assert response.status_code == 201, response.json
    assert response.json["version"] == 1
    assert response.json["id"] > 0
    assert response.json["tasks"] == ["clean-filter"]
    again = client.post("/api/v1/protocols", data=body, headers=token_for(maker))
    assert again.status_code == 200
    assert again.json["created"] is False
    assert count(ProtocolVersion) == 1


def test_errors_come_back_as_422_with_path_line_and_message(client, db, make_user, token_for):
    maker = make_user(role="manufacturer")
    body = protocol_yaml(every="P3X")
    response = client.post("/api/v1/protocols", data=body, headers=token_for(maker))
    assert response.status_code == 422
    assert response.json["error"]
    [detail] = response.json["details"]
    assert detail["path"] == "tasks[0].every"
    assert detail["line"] == body.splitlines().index('      "every": "P3X",') + 1
    assert "P3X" in detail["message"]
    assert count(ProtocolVersion) == 0


def test_uploads_over_one_megabyte_are_refused_with_413(client, db, make_user, token_for):
    maker = make_user(role="manufacturer")
    body = protocol_yaml() + "\n" + "#" * (1024 * 1024 + 1)
    response = client.post("/api/v1/protocols", data=body, headers=token_for(maker))
    assert response.status_code == 413
    assert "error" in response.json
    assert count(ProtocolVersion) == 0


def test_no_token_is_401_and_a_retailer_token_is_403(client, db, make_user, token_for):
    body = protocol_yaml()
    assert client.post("/api/v1/protocols", data=body).status_code == 401
    bad = client.post("/api/v1/protocols", data=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    shop = make_user(role="retailer")
    refused = client.post("/api/v1/protocols", data=body, headers=token_for(shop))
    assert refused.status_code == 403
    assert count(ProtocolVersion) == 0


def test_another_manufacturers_gtin_is_refused(client, db, make_user, token_for):
    acme = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    other = make_user(role="manufacturer", organisation="Other")
    g = gtin("871234500202")
    mine = protocol_yaml(manufacturer="Acme", models=[(g, "DW")])
    assert client.post("/api/v1/protocols", data=mine, headers=token_for(acme)).status_code == 201
    theirs = protocol_yaml(manufacturer="Other", models=[(g, "DW")], every="P2M")
    response = client.post("/api/v1/protocols", data=theirs, headers=token_for(other))
    assert response.status_code == 403
    [detail] = response.json["details"]
    assert detail["path"] == "applies_to.models[0].gtin"
    assert "another manufacturer" in detail["message"]
    assert count(ProtocolVersion) == 1


def test_an_admin_token_may_publish_library_defaults(client, db, make_user, token_for):
    admin = make_user(role="admin")
    body = protocol_yaml(category="kettle", task_id="descale")
    response = client.post("/api/v1/protocols", data=body, headers=token_for(admin))
    assert response.status_code == 201


def test_a_gtin_outside_the_prefixes_is_refused_with_its_line(client, db, make_user, token_for):
    maker = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    outside = gtin("500000000001")
    body = protocol_yaml(manufacturer="Acme", models=[(outside, "DW")])
    response = client.post("/api/v1/protocols", data=body, headers=token_for(maker))
    assert response.status_code == 403
    [detail] = response.json["details"]
    assert detail["path"] == "applies_to.models[0].gtin"
    assert body.splitlines()[detail["line"] - 1].strip() == f'"gtin": "{outside}",'
    assert "not under your GS1 company prefixes (871234)" in detail["message"]
    assert count(ProtocolVersion) == 0
