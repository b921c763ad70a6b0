"""What publishing a protocol would change, found by publishing it in a savepoint rolled back.

The same code path as a real publish (every refusal included), so the answer cannot drift from
what publishing does; nothing of it stays in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, func, select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, ProtocolVersion, TaskSchedule, Unit, User
from maintenance.services.protocols.document import ProtocolDocument
from maintenance.services.protocols.publish import publish_protocol
from maintenance.services.schedules.replan import models_using


@dataclass(frozen=True)
class DryRun:
    """The outcome a publish would have."""

    outcome: str  # "new_protocol", "new_version" or "identical"
    protocol_id: int | None  # None for a protocol that does not exist yet
    version: int  # the number the version in force would have
    added: list[str]
    removed: list[str]
    changed: list[str]
    units_replanned: int


def _task_specs(version: ProtocolVersion | None) -> dict[str, Any]:
    return {task.key: task.spec for task in version.tasks} if version is not None else {}


def _units_behind(version: ProtocolVersion) -> int:
    """Units with a plan on another version among the models that would follow this one."""
    model_ids = [model.id for model in models_using(version.protocol)]
    if not model_ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(distinct(TaskSchedule.unit_id)))
            .join(Unit, Unit.id == TaskSchedule.unit_id)
            .where(Unit.product_model_id.in_(model_ids), TaskSchedule.version_id != version.id)
        )
        or 0
    )


@transactional  # so publish_protocol inside does not commit: only the outermost call does
def dry_run(
    document: ProtocolDocument, user: User | None = None, organisation: Organisation | None = None
) -> DryRun:
    """Publish in a savepoint, compare with the version before, count units, roll back."""
    savepoint = db.session.begin_nested()
    try:
        published = publish_protocol(document, user=user, organisation=organisation)
        version = published.version
        versions = version.protocol.versions
        previous = versions[-2] if published.created and len(versions) > 1 else None
        if not published.created:
            previous = version
        before, after = _task_specs(previous), _task_specs(version)
        outcome = "identical" if not published.created else "new_version"
        if previous is None:
            outcome = "new_protocol"
        result = DryRun(
            outcome=outcome,
            protocol_id=version.protocol_id if previous is not None else None,
            version=version.number,
            added=[key for key in after if key not in before],
            removed=[key for key in before if key not in after],
            changed=[key for key in after if key in before and before[key] != after[key]],
            units_replanned=_units_behind(version) if published.created else 0,
        )
    finally:
        savepoint.rollback()
    return result
