"""Reading back what was published: lists, versions as JSON or YAML, dry runs, bad uploads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from maintenance.models import AuditEvent, ProductModel, Protocol, ProtocolVersion, ReplanQueue
from maintenance.services.protocols import load_protocol
from maintenance.services.schedules.plan import ensure_schedules
from maintenance.services.units.create import create_unit
from tests.builders import gtin, protocol_yaml

BROKEN = Path(__file__).parents[1] / "services" / "protocols" / "broken"
G1, G2 = gtin("871234500401"), gtin("871234500418")


@pytest.fixture
def maker(make_user, token_for):
    user = make_user(role="manufacturer", organisation="Acme", prefixes=["871234"])
    return token_for(user)


def publish(client, headers, body: str, query: str = "") -> dict:
    response = client.post(f"/api/v1/protocols{query}", data=body, headers=headers)
    assert response.status_code in (200, 201), response.json
    return response.json


def all_ids(client, headers, query: str = "") -> list[int]:
    """Every protocol id the list gives, following cursors."""
    ids, cursor = [], None
    while True:
        page = client.get(
            f"/api/v1/protocols?limit=1{query}" + (f"&cursor={cursor}" if cursor else ""),
            headers=headers,
        ).json
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_a_maker_lists_its_protocols_with_filters(client, maker, make_user, token_for) -> None:
    dishwasher = publish(client, maker, protocol_yaml(manufacturer="Acme", models=[(G1, "DW")]))
    washer = publish(
        client,
        maker,
        protocol_yaml(category="dishwasher", manufacturer="Acme", models=[(G2, "WM")], every="P2M"),
    )
    other = token_for(make_user(role="manufacturer", organisation="Other"))
    publish(client, other, protocol_yaml(category="dishwasher"))

    assert all_ids(client, maker) == [washer["id"], dishwasher["id"]]
    assert all_ids(client, maker, "&category=dishwasher") == [washer["id"], dishwasher["id"]]
    assert all_ids(client, maker, "&category=oven") == []
    assert all_ids(client, maker, f"&gtin={G2[1:]}") == [washer["id"]]
    assert all_ids(client, maker, "&updated_since=2999-01-01T00:00:00Z") == []
    assert all_ids(client, maker, "&updated_since=2000-01-01") == [washer["id"], dishwasher["id"]]
    [item] = client.get(f"/api/v1/protocols?gtin={G1}", headers=maker).json["items"]
    assert (item["scope"], item["gtins"], item["version"]) == ("models", [G1], 1)
    for bad in ("category=dish", "gtin=123", "updated_since=yesterday", "colour=red"):
        response = client.get(f"/api/v1/protocols?{bad}", headers=maker)
        assert response.status_code == 422, bad
        assert response.json["details"][0]["path"] == bad.split("=")[0]


def test_one_protocol_with_versions_and_each_document_as_json_or_yaml(client, maker) -> None:
    body = protocol_yaml(manufacturer="Acme", models=[(G1, "DW")])
    first = publish(client, maker, body)
    publish(client, maker, protocol_yaml(manufacturer="Acme", models=[(G1, "DW")], every="P2M"))
    protocol = client.get(f"/api/v1/protocols/{first['id']}", headers=maker).json
    assert [v["number"] for v in protocol["versions"]] == [1, 2]
    assert protocol["version"] == 2

    path = f"/api/v1/protocols/{first['id']}/versions/1"
    as_json = client.get(path, headers=maker)
    assert as_json.mimetype == "application/json" and as_json.json == json.loads(body)
    as_yaml = client.get(path, headers={**maker, "Accept": "application/yaml"})
    assert as_yaml.mimetype == "application/yaml"
    assert yaml.safe_load(as_yaml.data) == json.loads(body)
    # What comes back publishes as the very same content: nothing new.
    assert load_protocol(as_yaml.data).content_hash == protocol["versions"][0]["content_hash"]
    refused = client.get(path, headers={**maker, "Accept": "text/html"})
    assert refused.status_code == 406 and refused.json["error"]
    missing = client.get(f"/api/v1/protocols/{first['id']}/versions/3", headers=maker)
    assert missing.status_code == 404


def test_other_organisations_protocols_are_not_found(client, maker, make_user, token_for) -> None:
    theirs = publish(
        client, token_for(make_user(role="manufacturer", organisation="B")), protocol_yaml()
    )
    for path in (
        f"/api/v1/protocols/{theirs['id']}",
        f"/api/v1/protocols/{theirs['id']}/versions/1",
    ):
        response = client.get(path, headers=maker)
        assert response.status_code == 404, path
    assert client.get("/api/v1/protocols/999999", headers=maker).status_code == 404


def counts(db) -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Protocol, ProtocolVersion, ProductModel, AuditEvent, ReplanQueue)
    )


def test_a_dry_run_tells_what_would_change_and_stores_nothing(client, db, maker, make_user) -> None:
    first = protocol_yaml(manufacturer="Acme", models=[(G1, "DW")])
    before = counts(db)
    new = publish(client, maker, first, "?dry_run=true")
    assert (new["outcome"], new["id"], new["version"]) == ("new_protocol", None, 1)
    assert new["tasks"] == {"added": ["clean-filter"], "removed": [], "changed": []}
    assert counts(db) == before

    published = publish(client, maker, first)
    shop = make_user(role="retailer", organisation="Shop")
    for serial in ("A", "B", "C"):
        ensure_schedules(create_unit(shop.organisation, G1, serial=serial).unit, date(2026, 1, 5))
    db.session.commit()
    same = publish(client, maker, first, "?dry_run=1")
    assert (same["outcome"], same["id"], same["units_replanned"]) == (
        "identical",
        published["id"],
        0,
    )

    document = json.loads(first)
    document["tasks"][0]["every"] = "P2M"
    document["tasks"].append({**document["tasks"][0], "id": "clean-spray-arms"})
    before = counts(db)
    change = publish(client, maker, json.dumps(document), "?dry_run=true")
    assert (change["outcome"], change["id"], change["version"]) == (
        "new_version",
        published["id"],
        2,
    )
    assert change["tasks"] == {
        "added": ["clean-spray-arms"],
        "removed": [],
        "changed": ["clean-filter"],
    }
    assert change["units_replanned"] == 3
    assert counts(db) == before
    listed = client.get(f"/api/v1/protocols/{published['id']}", headers=maker).json
    assert [v["number"] for v in listed["versions"]] == [1]
    bad = client.post("/api/v1/protocols?dry_run=maybe", data=first, headers=maker)
    assert bad.status_code == 422 and bad.json["details"][0]["path"] == "dry_run"


BAD_UPLOADS = [
    *sorted(BROKEN.iterdir()),
    ("not-json.bin", b"\xff\xfe\x00garbage"),
    ("empty", b""),
    ("gtin-of-another", None),
]


@pytest.mark.parametrize("query", ["", "?dry_run=true"])
def test_every_refused_upload_is_4xx_and_the_protocol_count_is_unchanged(
    client, maker, make_user, token_for, query
) -> None:
    publish(client, maker, protocol_yaml(manufacturer="Acme", models=[(G1, "DW")]))
    theirs = token_for(make_user(role="manufacturer", organisation="Other"))
    listed = len(all_ids(client, maker))
    for entry in BAD_UPLOADS:
        if isinstance(entry, Path):
            name, data = entry.name, entry.read_bytes()
        elif entry[1] is None:  # valid, but for a GTIN that is Acme's
            name, data = entry[0], protocol_yaml(manufacturer="Other", models=[(G1, "X")]).encode()
        else:
            name, data = entry
        headers = theirs if name == "gtin-of-another" else maker
        response = client.post(f"/api/v1/protocols{query}", data=data, headers=headers)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        assert response.json["error"], name
        assert len(all_ids(client, maker)) == listed, name
    assert all_ids(client, theirs) == []
