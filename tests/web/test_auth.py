"""Staff login and logout through the real forms, with CSRF on."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token


def test_login_form_logs_in_and_rotates_the_session(client, make_user) -> None:
    user = make_user(role="manufacturer")
    token = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manufacturer/")
    with client.session_transaction() as session:
        assert "planted" not in session
    assert client.get("/manufacturer/").status_code == 200


def test_wrong_password_says_so_without_telling_which_part(client, make_user) -> None:
    user = make_user(role="retailer")
    token = csrf_token(client, "/login")
    english = {"Accept-Language": "en"}
    page = client.post(
        "/login",
        data={"email": user.email, "password": "nope", "csrf_token": token},
        headers=english,
    )
    assert page.status_code == 200
    assert "Unknown email address or wrong password" in page.get_data(as_text=True)
    unknown = client.post(
        "/login",
        data={"email": "who@example.com", "password": "nope", "csrf_token": token},
        headers=english,
    )
    assert "Unknown email address or wrong password" in unknown.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/manufacturer/").status_code == 302


def test_login_only_follows_local_next_urls(client, make_user) -> None:
    user = make_user(role="manufacturer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/steal",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(client, login, make_user) -> None:
    login(make_user(role="manufacturer"))
    token = csrf_token(client, "/manufacturer/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/manufacturer/").status_code == 302


def test_a_retailer_lands_on_the_till_after_login(client, make_user) -> None:
    user = make_user(role="retailer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/retailer/")


def test_staff_see_links_to_their_own_pages_only(client, login, make_user) -> None:
    login(make_user(role="retailer"))
    html = client.get("/retailer/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/retailer/"' in html
    assert 'href="/dashboards/"' in html
    assert 'href="/manufacturer/"' not in html
    assert 'href="/admin/audit"' not in html
