"""The integrations page: staff set a webhook (its secret shown once) and a shop link."""

from __future__ import annotations

import re

from tests.conftest import csrf_token

PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address: saved, never called in tests


def _post(client, path: str, page: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_staff_set_a_webhook_and_see_the_secret_once(client, make_user, login) -> None:
    shop = make_user(role="retailer", organisation="Shop A")
    login(shop)
    page = f"/organisation/{shop.organisation_id}"
    assert client.get("/organisation/").headers["Location"].endswith(page)

    refused = _post(client, f"{page}/webhook", page, url="https://169.254.169.254/latest")
    assert refused.status_code == 422
    assert "public addresses only" in refused.get_data(as_text=True)

    saved = _post(client, f"{page}/webhook", page, url=PUBLIC_URL)
    assert saved.status_code == 200
    secret = re.search(r'<code id="secret">(whsec_[^<]+)</code>', saved.get_data(as_text=True))
    assert secret is not None
    later = client.get(page).get_data(as_text=True)
    assert secret.group(1) not in later and PUBLIC_URL in later

    rotated = _post(client, f"{page}/webhook/rotate", page).get_data(as_text=True)
    new = re.search(r'<code id="secret">(whsec_[^<]+)</code>', rotated)
    assert new is not None and new.group(1) != secret.group(1)

    removed = _post(client, f"{page}/webhook/remove", page)
    assert removed.status_code == 302
    assert PUBLIC_URL not in client.get(page).get_data(as_text=True)


def test_another_organisations_page_is_not_found(client, make_user, login) -> None:
    other = make_user(role="manufacturer", organisation="Maker B")
    login(make_user(role="retailer", organisation="Shop A"))
    assert client.get(f"/organisation/{other.organisation_id}").status_code == 404
    assert client.get("/organisation/999999").status_code == 404


def test_a_shop_sets_its_consumables_link(client, make_user, login) -> None:
    shop = make_user(role="retailer", organisation="Shop A")
    login(shop)
    page = f"/organisation/{shop.organisation_id}"
    bad = _post(client, f"{page}/supplies", page, pattern="https://shop.example/p/")
    assert bad.status_code == 422 and "{gtin}" in bad.get_data(as_text=True)
    good = _post(client, f"{page}/supplies", page, pattern="https://shop.example/p/{gtin}")
    assert good.status_code == 302
    assert "https://shop.example/p/{gtin}" in client.get(page).get_data(as_text=True)
