"""Security headers on every response, HSTS and secure cookies on https, session rotation."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from maintenance import create_app
from maintenance.config import TestConfig
from tests.conftest import PASSWORD, csrf_token, sign_in

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# A <script> without src runs inline code; JSON-LD data blocks are not code and are allowed.
INLINE_SCRIPT = r"<script(?![^>]*\b(src=|type=\"application/ld\+json\"))"


@pytest.mark.parametrize(
    "path", ["/", "/login", "/no-such-page", "/api/v1/units", "/static/style.css"]
)
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    # The test app runs on http://localhost: HSTS there would lock browsers out of plain http.
    assert "Strict-Transport-Security" not in response.headers


def test_pages_have_no_inline_script_or_style(client: FlaskClient) -> None:
    """The CSP forbids inline code; a page relying on it would break silently in browsers."""
    for path in ["/", "/login"]:
        page = client.get(path).get_data(as_text=True)
        assert not re.search(INLINE_SCRIPT, page), path
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_templates_have_no_inline_script_or_style() -> None:
    """Every template, also pages a test cannot reach without data, keeps to the CSP."""
    from maintenance.config import ROOT

    for template in (ROOT / "templates").rglob("*.html"):
        if "email" in template.parts:
            continue  # mail clients ignore our CSP and strip <link>; email may style inline
        source = template.read_text()
        assert not re.search(INLINE_SCRIPT, source), template
        assert "<style" not in source and " style=" not in source, template
        assert not re.search(r"\son(click|load|submit|change|input)=", source), template


def test_https_adds_hsts_and_secure_cookies(tmp_path) -> None:
    app = create_app(
        TestConfig,
        BASE_URL="https://onderhoud.example",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    client = app.test_client()
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_session_cookie_is_httponly_and_samesite_on_http(client: FlaskClient) -> None:
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in tests: a Secure cookie would never come back


def test_login_gives_a_new_session_cookie_without_what_was_planted(
    client: FlaskClient, make_user
) -> None:
    user = make_user(role="manufacturer")
    token = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id") == str(user.id)


@pytest.mark.parametrize(
    "path", ["/me", "/me/export", "/me/settings", "/me/calendar", "/me/units/1", "/me/login"]
)
def test_owner_pages_are_never_cached(client: FlaskClient, library, mail, db, path: str) -> None:
    from tests.builders import make_unit

    unit = make_unit()
    sign_in(client, mail)
    response = client.get(path.replace("/units/1", f"/units/{unit.id}"))
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_keep_their_caching(client: FlaskClient) -> None:
    assert client.get("/static/style.css").headers.get("Cache-Control") != "no-store"
