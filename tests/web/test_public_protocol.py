"""Public protocol pages: /01/{gtin} in Dutch or English with schema.org HowTo JSON-LD."""

from __future__ import annotations

import json
import re

from tests.builders import gtin, make_model


def _model(category: str = "dishwasher", body: str = "871234500401") -> str:
    """The GTIN of a new "Voorbeeld VW 1" in the category, of a maker of its own."""
    code = gtin(body)
    make_model(
        gtin=code, category=category, brand="Voorbeeld", name="VW 1", manufacturer=f"Maker {body}"
    )
    return code


def test_model_page_shows_the_category_default_in_dutch_by_default(client, db, library):
    code = _model()
    page = client.get(f"/01/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Onderhoud vaatwasser" in html
    assert "Filter reinigen" in html
    assert "Voorbeeld" in html


def test_accept_language_and_the_switch_give_english(client, db, library):
    code = _model()
    english = client.get(f"/01/{code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Dishwasher maintenance" in english.get_data(as_text=True)
    switched = client.get(f"/language/en?next=/01/{code}")
    assert switched.status_code == 302
    assert "Dishwasher maintenance" in client.get(f"/01/{code}").get_data(as_text=True)


def test_gtin13_is_accepted_and_a_wrong_check_digit_is_400(client, db, library):
    code = _model()
    assert client.get(f"/01/{code[1:]}").status_code == 200
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    response = client.get(f"/01/{wrong}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "check digit" in response.get_data(as_text=True)
    dutch = client.get(f"/01/{wrong}", headers={"Accept-Language": "nl"})
    assert "verkeerd controlecijfer" in dutch.get_data(as_text=True)


def test_unknown_gtin_is_a_readable_404(client, db, library):
    response = client.get(f"/01/{gtin('871234509999')}")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_the_page_carries_howto_json_ld_per_task(client, db, library):
    code = _model(category="coffee-machine", body="871234500402")
    html = client.get(f"/01/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    [raw] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(raw)
    assert data["@context"] == "https://schema.org"
    howtos = [item["item"] for item in data["itemListElement"]]
    assert all(h["@type"] == "HowTo" and h["step"] for h in howtos)
    assert any("escale" in h["name"] for h in howtos)
