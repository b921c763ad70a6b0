"""Organisations (manufacturers, retailers, the coordinator), staff users and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow

ORGANISATION_KINDS = ("manufacturer", "retailer", "coordinator", "partner")
ROLES = ("manufacturer", "retailer", "admin", "partner")


class Organisation(Model):
    """A manufacturer, a retailer, a service partner or the sector coordinator."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Language of the labels this organisation prints and of its staff pages.
    language: Mapped[str] = mapped_column(String(5), default="nl")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A retailer's shop page for a consumable, with {gtin} where its GTIN goes; the unit page
    # links a task's supplies there for units this shop sold.
    supplies_url_pattern: Mapped[str | None] = mapped_column(String(500))

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r} ({self.kind})>"


class CompanyPrefix(Model):
    """A GS1 company prefix of a manufacturer: the GTINs it may publish protocols for.

    Written as in a GTIN-13 (a UPC company prefix with its leading 0); set by an admin.
    """

    __tablename__ = "company_prefix"

    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class GtinAssignment(Model):
    """An exception an admin made: one GTIN-14 assigned to an organisation, whatever its prefix."""

    __tablename__ = "gtin_assignment"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class User(UserMixin, Model):
    """A staff member who logs in with a password: manufacturer, retailer or admin."""

    __tablename__ = "user_account"
    # AUTOINCREMENT: the id is in the staff session cookie; SQLite must never hand it out twice.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:
        """Deactivated staff cannot log in or use tokens."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """Admins may do everything."""
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email!r} ({self.role})>"


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown to staff so they can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()
