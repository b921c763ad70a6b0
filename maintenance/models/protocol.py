"""Maintenance protocols and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maintenance.extensions import Model, db
from maintenance.models._base import UtcDateTime, utcnow
from maintenance.models.organisation import Organisation, User


class Protocol(Model):
    """A protocol for some models, or a category default (organisation unset: the library)."""

    __tablename__ = "protocol"
    __table_args__ = (UniqueConstraint("organisation_id", "category", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    # "default" for a category default, else "gtin:<first GTIN>" naming the models it covers.
    scope: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    versions: Mapped[list[ProtocolVersion]] = relationship(
        back_populates="protocol", order_by="ProtocolVersion.number"
    )

    @property
    def current(self) -> ProtocolVersion:
        """The version in force: the highest published number (loads that one, not them all)."""
        if "versions" not in inspect(self).unloaded:
            return self.versions[-1]
        latest = db.session.scalar(
            select(ProtocolVersion)
            .where(ProtocolVersion.protocol_id == self.id)
            .order_by(ProtocolVersion.number.desc())
            .limit(1)
        )
        if latest is None:
            raise IndexError("the protocol has no published version")  # as versions[-1] did
        return latest


class ProtocolVersion(Model):
    """One published version; never changed after publishing, so history can point at it."""

    __tablename__ = "protocol_version"
    __table_args__ = (UniqueConstraint("protocol_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocol.id"), index=True)
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    protocol: Mapped[Protocol] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()
    tasks: Mapped[list[Task]] = relationship(
        back_populates="version", order_by="Task.position", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> dict[str, str]:
        """The protocol title per language."""
        return self.document["title"]


class Task(Model):
    """One task of a protocol version; the uniform task key is stable across versions."""

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("protocol_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    every: Mapped[str | None] = mapped_column(String(40))
    rrule: Mapped[str | None] = mapped_column(String(200))
    first_due: Mapped[str | None] = mapped_column(String(40))
    difficulty: Mapped[str] = mapped_column(String(20))
    # The task exactly as published (titles, why, steps, safety...) for rendering.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)

    version: Mapped[ProtocolVersion] = relationship(back_populates="tasks")
