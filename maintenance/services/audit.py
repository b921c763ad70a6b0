"""The audit log of staff actions: record one, and list them for the admin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import User
from maintenance.models.audit import AuditEvent

SYSTEM_ACTOR = "system"  # command line, scheduler, demo data: no person to name


def acting_user() -> User | None:
    """The staff member behind this request: API token first, then the logged-in session."""
    if has_app_context() and isinstance(g.get("api_user"), User):
        return g.api_user
    if (
        has_request_context()
        and current_user.is_authenticated
        and isinstance(current_user._get_current_object(), User)
    ):
        return current_user._get_current_object()
    return None


def subject_of(item: Any) -> str:
    """A row as table:id, several rows as tables:count, a string as itself."""
    if isinstance(item, str):
        return item
    if isinstance(item, Sequence):
        if len(item) == 1:
            return subject_of(item[0])
        kind = item[0].__tablename__ if item else "item"
        return f"{kind}s:{len(item)}"
    return f"{item.__tablename__}:{item.id}"


@transactional
def record(action: str, subject: Any, user: User | None = None, **details: Any) -> AuditEvent:
    """Log that `user` (default: whoever makes this request) did `action` to `subject`.

    `subject` is a model row, a list of rows (their ids go into the details) or a string.
    Runs inside the caller's transaction, so the entry exists exactly when the action does.
    """
    user = user or acting_user()
    if not isinstance(subject, str) and isinstance(subject, Sequence) and len(subject) != 1:
        details = {"ids": [row.id for row in subject], **details}
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        actor=user.email if user is not None else SYSTEM_ACTOR,
        organisation_id=user.organisation_id if user is not None else None,
        action=action,
        subject=subject_of(subject),
        details=details,
    )
    db.session.add(event)
    return event


def list_events(
    limit: int = 50, before: int | None = None, action: str | None = None
) -> list[AuditEvent]:
    """Newest first; `before` is the id of the last event on the previous page (a cursor)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def action_names() -> list[str]:
    """The actions that occur in the log, for the admin page's filter."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by("action")))
