"""The audit log: which staff member did what to which protocol version or unit, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maintenance.extensions import Model
from maintenance.models._base import UtcDateTime, utcnow


class AuditEvent(Model):
    """One staff action; rows are only ever added, never changed."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # The user may be deleted later; `actor` keeps the address so the entry still says who.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(320))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    # Dotted verb, e.g. "protocol.publish", "unit.create", "unit.print", "unit.void".
    action: Mapped[str] = mapped_column(String(40))
    # What it was done to, as "kind:id", e.g. "protocol_version:12" or "unit:345".
    subject: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.actor} {self.action} {self.subject}>"
