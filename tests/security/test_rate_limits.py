"""Rate limits on login, magic-link requests and code confirmation, per IP and per address."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token


def ip(n: int) -> dict[str, str]:
    """Request environ of client number n, each with its own address."""
    return {"REMOTE_ADDR": f"192.0.2.{n}"}


def staff_login(client: FlaskClient, email: str, password: str, n: int = 1) -> int:
    token = csrf_token(client, "/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base=ip(n)).status_code


def test_staff_login_allows_ten_attempts_a_minute_per_ip(
    client: FlaskClient, make_user: object
) -> None:
    for n in range(10):
        assert staff_login(client, f"nobody{n}@example.com", "wrong") == 200
    assert staff_login(client, "nobody@example.com", "wrong") == 429
    # Even the right password waits: the limit is on attempts, not on failures.
    user = make_user(role="manufacturer")
    assert staff_login(client, user.email, PASSWORD) == 429
    assert staff_login(client, user.email, PASSWORD, n=2) == 302


def test_staff_login_allows_twenty_attempts_an_hour_per_address(
    client: FlaskClient, make_user: object
) -> None:
    user = make_user(role="retailer")
    for n in range(20):
        assert staff_login(client, user.email, "guess", n=n + 10) == 200
    assert staff_login(client, user.email.upper(), PASSWORD, n=99) == 429
    other = make_user(role="retailer")
    assert staff_login(client, other.email, PASSWORD, n=99) == 302


def magic_link(client: FlaskClient, contact: str, n: int = 1) -> int:
    token = csrf_token(client, "/me/login")
    data = {"csrf_token": token, "contact": contact}
    return client.post("/me/login", data=data, environ_base=ip(n)).status_code


# The budget per address and per number (over sign-up and login, counted from the database) is
# tested in tests/web/test_owner_sessions.py.


def test_magic_link_requests_are_limited_per_ip(client: FlaskClient, db: object) -> None:
    for n in range(20):
        assert magic_link(client, f"person{n}@example.nl") == 303
    assert magic_link(client, "one-more@example.nl") == 429
    assert magic_link(client, "one-more@example.nl", n=2) == 303


def test_code_confirmation_allows_thirty_tries_an_hour_per_ip(
    client: FlaskClient, db: object
) -> None:
    token = csrf_token(client, "/login")
    for _ in range(30):
        response = client.post("/me/code", data={"csrf_token": token, "code": "000000"})
        assert response.status_code == 400
    blocked = client.post(
        "/me/code", data={"csrf_token": token, "code": "000000"}, headers={"Accept-Language": "en"}
    )
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
