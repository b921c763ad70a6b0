"""Staff accounts: argon2 passwords, hashed API tokens, and the CLI that creates them."""

from __future__ import annotations

from sqlalchemy import select

from maintenance.models import ApiToken, User
from maintenance.services.accounts import authenticate, create_token, user_for_token


def test_users_create_command_makes_a_user_who_can_log_in(app, ctx, db) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "Shop@Example.com",
            "--role",
            "retailer",
            "--organisation",
            "Elektro Noord",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created retailer shop@example.com in Elektro Noord" in result.output
    user = db.session.scalar(select(User).where(User.email == "shop@example.com"))
    assert user.password_hash.startswith("$argon2id$")
    assert "long enough pw" not in user.password_hash
    assert authenticate("shop@example.com", "long enough pw") == user
    assert authenticate("shop@example.com", "wrong password") is None


def test_users_create_refuses_duplicates_and_bad_roles(app, ctx) -> None:
    runner = app.test_cli_runner()
    args = [
        "users",
        "create",
        "--email",
        "a@example.com",
        "--role",
        "admin",
        "--organisation",
        "Coalition",
        "--password",
        "long enough pw",
    ]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "already exists" in again.output
    bad = runner.invoke(args=[*args[:4], "--role", "owner", *args[6:]])
    assert bad.exit_code != 0
    assert "owner" in bad.output


def test_an_organisation_keeps_its_kind(app, ctx) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "m@example.com",
            "--role",
            "manufacturer",
            "--organisation",
            "Acme",
            "--password",
            "x" * 12,
        ]
    )
    assert ok.exit_code == 0
    clash = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "r@example.com",
            "--role",
            "retailer",
            "--organisation",
            "Acme",
            "--password",
            "x" * 12,
        ]
    )
    assert clash.exit_code != 0
    assert "is a manufacturer" in clash.output


def test_tokens_are_shown_once_and_stored_hashed(app, ctx, db, make_user) -> None:
    user = make_user(role="manufacturer")
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", user.email])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("mt_") and len(token) > 40
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token not in {stored.token_hash, stored.prefix}
    assert user_for_token(token) == user
    assert user_for_token(token + "x") is None


def test_revoked_tokens_and_inactive_users_are_refused(ctx, db, make_user) -> None:
    from datetime import UTC, datetime

    user = make_user(role="retailer")
    token = create_token(user)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    row.revoked_at = datetime(2024, 5, 1, 12, tzinfo=UTC)  # any moment: revoked is revoked
    db.session.commit()
    assert user_for_token(token) is None
    second = create_token(user)
    user.active = False
    db.session.commit()
    assert user_for_token(second) is None


def test_tokens_create_for_unknown_email_fails(app, ctx) -> None:
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--email", "no@example.com"])
    assert result.exit_code != 0
    assert "no user" in result.output
