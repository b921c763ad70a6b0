"""The JSON API and webhooks answer in English unless the request itself asks for a language."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.builders import protocol_yaml

TOO_LARGE_EN = "The upload is too large"
TOO_LARGE_NL = "Het bestand is te groot"
NOT_FOUND_EN = "We could not find that page."
NOT_FOUND_NL = "We konden die pagina niet vinden."


def _too_large(client: FlaskClient, headers: dict[str, str]) -> str:
    body = protocol_yaml() + "\n" + "#" * (1024 * 1024 + 1)
    response = client.post("/api/v1/protocols", data=body, headers=headers)
    assert response.status_code == 413
    return response.json["error"]


def test_an_api_error_is_english_without_accept_language_and_dutch_when_asked(
    client: FlaskClient, make_user, token_for
) -> None:
    auth = token_for(make_user(role="manufacturer"))
    assert TOO_LARGE_EN in _too_large(client, auth)
    assert TOO_LARGE_NL in _too_large(client, {**auth, "Accept-Language": "nl"})
    assert TOO_LARGE_NL in _too_large(client, {**auth, "Accept-Language": "nl-NL,nl;q=0.9"})


def test_lang_in_the_query_chooses_the_language_of_an_api_answer(client: FlaskClient) -> None:
    assert client.get("/api/v1/no-such-thing").json["error"] == NOT_FOUND_EN
    assert client.get("/api/v1/no-such-thing?lang=nl").json["error"] == NOT_FOUND_NL
    english = client.get("/api/v1/no-such-thing?lang=en", headers={"Accept-Language": "nl"})
    assert english.json["error"] == NOT_FOUND_EN


def test_the_sites_language_cookie_does_not_turn_api_answers_dutch(client: FlaskClient) -> None:
    client.get("/language/nl?next=/")
    # The site itself follows the cookie, even over the browser's Accept-Language; the API does not.
    site = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Laat je apparaten langer meegaan" in site
    assert client.get("/api/v1/no-such-thing").json["error"] == NOT_FOUND_EN
    assert client.get("/webhooks/no-such-thing").json["error"] == NOT_FOUND_EN


def test_a_webhook_error_is_english_by_default_and_dutch_on_request(client: FlaskClient) -> None:
    assert client.get("/webhooks/no-such-thing").json["error"] == NOT_FOUND_EN
    dutch = client.get("/webhooks/no-such-thing", headers={"Accept-Language": "nl"})
    assert dutch.json["error"] == NOT_FOUND_NL


def test_pages_for_people_still_default_to_dutch(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert NOT_FOUND_NL in response.get_data(as_text=True)


def test_a_unit_mistake_from_the_api_is_english_unless_dutch_is_asked_for(
    client: FlaskClient, db: object, make_user, token_for
) -> None:
    from tests.builders import GTIN, make_model

    make_model()
    auth = token_for(make_user(role="retailer"))
    body = {"gtin": GTIN, "serial": "two words"}
    english = client.post("/api/v1/units", json=body, headers=auth)
    assert english.status_code == 422
    assert english.json["details"][0]["message"] == "the serial number contains a space"
    dutch = client.post("/api/v1/units", json=body, headers={**auth, "Accept-Language": "nl"})
    assert dutch.json["details"][0]["message"] == "het serienummer bevat een spatie"
