"""Models read back, their links set through the API or the protocol, in the linkset and on the
unit page; a shop's consumables link; a till finding a unit again."""

from __future__ import annotations

import json

from maintenance.models import Organisation
from maintenance.services.units.create import create_unit
from tests.builders import gtin, protocol_yaml

G1 = gtin("871234500500")
GS1 = "https://gs1.org/voc/"


def _document(**links: str) -> str:
    document = json.loads(protocol_yaml(manufacturer="Acme", models=[(G1, "DW 600")]))
    document["links"] = links
    document["tasks"][0]["supplies"] = [
        {"nl": "Ontkalker", "en": "Descaler", "gtin": gtin("871234500999")},
        {"nl": "Zout", "en": "Salt"},
    ]
    return json.dumps(document)


def test_models_links_linkset_and_unit_page(client, db, make_user, token_for) -> None:
    maker = token_for(make_user(role="manufacturer", organisation="Acme", prefixes=["871234"]))
    body = _document(
        instructions="https://acme.example/dw600.pdf", support="https://acme.example/s"
    )
    assert client.post("/api/v1/protocols", data=body, headers=maker).status_code == 201

    [model] = client.get("/api/v1/models", headers=maker).json["items"]
    assert model["gtins"] == [G1] and model["protocol"]["version"] == 1
    assert model["links"] == {
        "instructions": "https://acme.example/dw600.pdf",
        "support": "https://acme.example/s",
    }
    put = client.put(
        f"/api/v1/models/{G1}/links",
        json={"registerProduct": "https://acme.example/warranty", "support": None},
        headers=maker,
    )
    assert put.status_code == 200, put.json
    assert put.json["links"] == {
        "instructions": "https://acme.example/dw600.pdf",
        "registerProduct": "https://acme.example/warranty",
        "support": "https://acme.example/s",  # the protocol's link shows again once its own goes
    }
    bad = client.put(
        f"/api/v1/models/{G1}/links", json={"warranty": "x", "dpp": "http://a"}, headers=maker
    )
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["details"]} == {"warranty", "dpp"}
    other = token_for(make_user(role="manufacturer", organisation="Other"))
    assert client.get(f"/api/v1/models/{G1}", headers=other).status_code == 404
    assert client.put(f"/api/v1/models/{G1}/links", json={}, headers=other).status_code == 404

    shop_user = make_user(role="retailer", organisation="Shop")
    shop = db.session.get(Organisation, shop_user.organisation_id)
    shop.supplies_url_pattern = "https://shop.example/p/{gtin}"
    db.session.commit()
    create_unit(shop, G1, serial="DW-1")

    linkset = client.get(f"/01/{G1}/21/DW-1?linkType=linkset").json["linkset"][0]
    manuals = linkset[GS1 + "instructions"]
    assert (manuals[-1]["href"], manuals[-1]["type"], manuals[-1]["title"]) == (
        "https://acme.example/dw600.pdf",
        "application/pdf",
        "Handleiding",  # the default language, Dutch
    )
    warranty = [target["href"] for target in linkset[GS1 + "registerProduct"]]
    assert warranty[-1] == "https://acme.example/warranty"
    redirect = client.get(f"/01/{G1}?linkType=gs1:instructions")
    assert redirect.status_code == 307  # ours comes first for a type both offer

    page = client.get(f"/01/{G1}/21/DW-1", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="https://acme.example/warranty"' in page and "Register for the warranty" in page
    assert f'href="https://shop.example/p/{gtin("871234500999")}" rel="noopener">Descaler' in page
    assert "https://shop.example/p/" + "Salt" not in page


def test_a_till_finds_its_unit_again_and_only_its_own(client, make_user, token_for) -> None:
    from tests.builders import GTIN, make_model

    make_model()
    mine = make_user(role="retailer", organisation="Shop A")
    theirs = make_user(role="retailer", organisation="Shop B")
    unit = create_unit(mine.organisation, GTIN, serial="SN-9").unit
    create_unit(theirs.organisation, GTIN, serial="SN-10")
    found = client.get(f"/api/v1/units?gtin={GTIN[1:]}&serial=SN-9", headers=token_for(mine))
    assert [item["id"] for item in found.json["items"]] == [unit.id]
    none = client.get(f"/api/v1/units?gtin={GTIN}&serial=SN-10", headers=token_for(mine))
    assert none.json["items"] == []
    bad = client.get("/api/v1/units?gtin=12", headers=token_for(mine))
    assert bad.status_code == 422 and bad.json["details"][0]["path"] == "gtin"
