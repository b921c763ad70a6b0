"""Notice messages in the reminder outbox: what the dispatcher reads, decides and records."""

# The dispatcher claims notice rows (Reminder.kind "notice", priority 1) with the maintenance
# reminders, asks `contents` for a batch's notices in a few queries, `decide`s per row (send now,
# hold an SMS through the quiet hours unless urgent, or cancel), renders with `render`, and
# reports outcomes to `record_sent` / `record_failed`, which keep each delivery's figures.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from maintenance.clock import time_zone
from maintenance.db.bulk import id_in
from maintenance.extensions import db
from maintenance.models import (
    ModelGtin,
    Notice,
    NoticeDelivery,
    NoticeGtin,
    NoticeMessage,
    NoticeUnit,
    NoticeVersion,
    Ownership,
    ProductModel,
    Unit,
)
from maintenance.notify import Message
from maintenance.services import due_dates
from maintenance.services.notices.render import Content, render_email, render_sms
from maintenance.services.notices.texts import VersionTexts

KIND = "notice"


@dataclass(frozen=True)
class Decision:
    """What to do with a claimed notice row: send (message), hold until `at`, or cancel."""

    message: Message | None = None
    at: datetime | None = None
    cancel: str | None = None


@dataclass(frozen=True)
class _Row:
    """A claimed notice row's content and the state of its delivery and notice."""

    content: Content
    urgent: bool
    stopped: bool
    closed: bool


def contents(reminders: Iterable[Any]) -> dict[int, _Row]:
    """The content of each claimed notice row (id, owner_id), by reminder id, in a few queries."""
    owner_of = {r.id: r.owner_id for r in reminders}
    if not owner_of:
        return {}
    links = db.session.execute(
        select(
            NoticeMessage.reminder_id, NoticeMessage.delivery_id, NoticeMessage.version_id
        ).where(id_in(NoticeMessage.reminder_id, list(owner_of)))
    ).all()
    deliveries = {
        d.id: d
        for d in db.session.scalars(
            select(NoticeDelivery).where(id_in(NoticeDelivery.id, [link[1] for link in links]))
        )
    }
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(NoticeVersion).where(id_in(NoticeVersion.id, [link[2] for link in links]))
        )
    }
    notice_ids = list({v.notice_id for v in versions.values()})
    notices = {
        n.id: n for n in db.session.scalars(select(Notice).where(id_in(Notice.id, notice_ids)))
    }
    models = _model_names(notice_ids)
    units = _owners_units(notice_ids, list(set(owner_of.values())))
    found = {}
    for reminder_id, delivery_id, version_id in links:
        delivery, version = deliveries[delivery_id], versions[version_id]
        notice = notices[version.notice_id]
        content = Content(
            delivery_id=delivery_id,
            version_id=version_id,
            kind=notice.kind,
            reference=notice.reference,
            update=version.number > 1 and delivery.sent_at is not None,
            version=VersionTexts(
                version.texts, version.picture_url, version.remedies, version.contact
            ),
            gtins=[g.gtin for g in notice.gtins],
            serials=notice.serials or {},
            models=models.get(notice.id, []),
            units=units.get((notice.id, owner_of[reminder_id]), []),
        )
        found[reminder_id] = _Row(
            content, notice.urgent, delivery.stopped_at is not None, notice.status == "closed"
        )
    return found


def _model_names(notice_ids: list[int]) -> dict[int, list[str]]:
    """ "Brand Model" of each notice's GTINs."""
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(NoticeGtin.notice_id, ProductModel.brand, ProductModel.name)
        .join(ModelGtin, ModelGtin.gtin == NoticeGtin.gtin)
        .join(ProductModel, ProductModel.id == ModelGtin.product_model_id)
        .where(id_in(NoticeGtin.notice_id, notice_ids))
        .order_by(NoticeGtin.gtin)
    )
    for notice_id, brand, name in rows:
        label = f"{brand} {name}"
        if label not in names.setdefault(notice_id, []):
            names[notice_id].append(label)
    return names


def _owners_units(notice_ids: list[int], owner_ids: list[int]) -> dict[tuple[int, int], list[str]]:
    """Each owner's affected units of each notice, as "Brand Model, S/N serial"."""
    rows = db.session.execute(
        select(
            NoticeUnit.notice_id,
            Ownership.owner_id,
            ProductModel.brand,
            ProductModel.name,
            Unit.serial,
            Unit.unit_code,
        )
        .join(Unit, Unit.id == NoticeUnit.unit_id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .join(ProductModel, ProductModel.id == Unit.product_model_id)
        .where(
            id_in(NoticeUnit.notice_id, notice_ids),
            id_in(Ownership.owner_id, owner_ids),
            Ownership.ended_at.is_(None),
        )
        .order_by(Unit.id)
    )
    found: dict[tuple[int, int], list[str]] = {}
    for notice_id, owner_id, brand, name, serial, code in rows:
        code_text = f"S/N {serial}" if serial else f"Code {code}"
        found.setdefault((notice_id, owner_id), []).append(f"{brand} {name}, {code_text}")
    return found


def _reachable(owner: Any, channel: str) -> bool:
    """Verified and not suppressed on the channel; a pause of reminders does not count."""
    if channel == "email":
        return bool(owner.email and owner.email_verified_at and not owner.email_suppressed_at)
    return bool(owner.phone and owner.phone_verified_at and not owner.phone_suppressed_at)


def decide(reminder: Any, owner: Any, row: _Row | None, clock: datetime) -> Decision:
    """Send, hold or cancel one claimed notice row, and render it when it goes now."""
    if row is None:
        return Decision(cancel="notice message without its notice")
    if row.stopped:
        return Decision(cancel="owner stopped this notice")
    if row.closed:
        return Decision(cancel="notice closed")
    if not _reachable(owner, reminder.channel):
        return Decision(cancel=f"owner not reachable by {reminder.channel}")
    zone = time_zone(owner.time_zone).key
    if reminder.channel == "sms" and not row.urgent and due_dates.is_quiet_hours(clock, zone):
        # Nobody is woken by a text that can wait: it goes when the quiet hours end.
        return Decision(at=due_dates.next_send_window(clock, zone, due_dates.FIRST_SEND_HOUR))
    if reminder.channel == "sms":
        return Decision(message=render_sms(row.content, owner))
    return Decision(message=render_email(row.content, owner, reminder.id, reminder.dedupe_key))


def _update_deliveries(reminder_ids: list[int], first: Any, **values: Any) -> None:
    """Set values on the deliveries these outbox rows carry, where `first` is still unset."""
    if not reminder_ids:
        return
    carried = (
        select(NoticeMessage.delivery_id)
        .where(id_in(NoticeMessage.reminder_id, reminder_ids))
        .scalar_subquery()
    )
    db.session.execute(
        update(NoticeDelivery)
        .where(NoticeDelivery.id.in_(carried), first.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def record_sent(reminder_ids: list[int], at: datetime) -> None:
    """The provider accepted these notice messages: their deliveries count as reached."""
    _update_deliveries(reminder_ids, NoticeDelivery.sent_at, sent_at=at)


def record_failed(reminder_ids: list[int], at: datetime, reason: str) -> None:
    """These notice messages finally failed (bounce, invalid number, STOP, out of attempts)."""
    _update_deliveries(reminder_ids, NoticeDelivery.failed_at, failed_at=at, failure=reason[:200])
