"""Staff accounts: organisations, users, argon2 passwords and hashed API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import ApiToken, Organisation, User
from maintenance.models.organisation import ROLES

_hasher = PasswordHasher()
# Verifying against this keeps the time of "unknown email" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not-a-password")
TOKEN_PREFIX = "mt_"
ROLE_ORGANISATION_KIND = {
    "manufacturer": "manufacturer",
    "retailer": "retailer",
    "admin": "coordinator",
    "partner": "partner",
}


class AccountError(ValueError):
    """A staff account request that cannot be honoured, with a readable reason."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def find_user_by_email(email: str) -> User | None:
    """Look a staff user up by email, case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this email and password, or None."""
    user = find_user_by_email(email)
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def get_or_create_organisation(name: str, kind: str) -> Organisation:
    """Find an organisation by name or create it with the given kind."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name, kind=kind)
        db.session.add(organisation)
        db.session.flush()
    elif organisation.kind != kind:
        raise AccountError(f"organisation {name!r} is a {organisation.kind}, not a {kind}")
    return organisation


def organisations_of_kind(kind: str) -> list[Organisation]:
    """Every organisation of a kind (manufacturer, retailer, coordinator), by name."""
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind == kind).order_by(Organisation.name)
        )
    )


@transactional
def create_user(email: str, role: str, organisation_name: str, password: str | None = None) -> User:
    """Create a staff user in an organisation (created when new); password optional for API-only."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if "@" not in email or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an email address")
    if find_user_by_email(email) is not None:
        raise AccountError(f"a user with email {email} already exists")
    if password is not None and len(password) < 10:
        raise AccountError("a password needs at least 10 characters")
    organisation = get_or_create_organisation(organisation_name, ROLE_ORGANISATION_KIND[role])
    user = User(
        email=email,
        role=role,
        organisation=organisation,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transactional
def create_token(user: User) -> str:
    """Issue a new API token for a user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token), prefix=token[:10]))
    return token


def user_for_token(token: str) -> User | None:
    """The active user behind a bearer token, or None for unknown or revoked tokens."""
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    return row.user
