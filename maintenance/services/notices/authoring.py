"""Draft, check, dry-run, send, update and close notices; each change is in the audit log."""

# A draft's texts may be replaced until it is sent. Once sent, its version is never changed: a
# change is a new version, queued to the same owners as an update. The selection of units is
# fixed when the notice is sent (a wider recall is a new notice).

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Notice, NoticeGtin, NoticeVersion, User
from maintenance.models.notice import NOTICE_KINDS
from maintenance.services import audit
from maintenance.services.notices.fanout import (
    FanOutResult,
    fan_out,
    notice_channel,
    owners_of_units,
)
from maintenance.services.notices.pages import forget_open_gtins
from maintenance.services.notices.selection import Selection, affected_unit_ids, read_selection
from maintenance.services.notices.texts import NoticeInvalid, Problem, VersionTexts, read_version

# Units whose owners are queued within the request that sends; the scheduler does the rest.
UNITS_QUEUED_AT_SEND = 2000
REFERENCE_MAX = 60
MAX_NOTICE_ID = 2**31 - 1  # PostgreSQL's integer


class NoticeNotFound(Exception):
    """No such notice, or one of another manufacturer (the same answer, so ids do not leak)."""


class NoticeConflict(Exception):
    """The notice is not in a state that allows this (e.g. editing a sent notice's draft)."""


@dataclass
class DryRun:
    """What sending would do, before anything is sent."""

    units: int = 0
    units_reachable: int = 0
    units_without_owner: int = 0
    owners: int = 0
    owners_unreachable: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: {"email": 0, "sms": 0})

    def as_json(self) -> dict[str, Any]:
        """The API's shape."""
        return {
            "units": self.units,
            "units_reachable": self.units_reachable,
            "units_without_owner": self.units_without_owner,
            "owners": self.owners,
            "owners_unreachable": self.owners_unreachable,
            "by_channel": dict(self.by_channel),
        }


@dataclass
class NoticeInput:
    """A checked notice: kind, reference, urgency, selection and the first version's texts."""

    kind: str
    reference: str
    urgent: bool
    selection: Selection
    organisation_id: int
    version: VersionTexts


def can_manage(user: User, notice: Notice) -> bool:
    """A manufacturer manages its own notices; an admin any."""
    return user.is_admin or (
        user.role == "manufacturer" and notice.organisation_id == user.organisation_id
    )


def find_notice(notice_id: int) -> Notice | None:
    """A notice by id; None also for ids no database integer can hold."""
    return db.session.get(Notice, notice_id) if 0 < notice_id <= MAX_NOTICE_ID else None


def get_notice_for(user: User, notice_id: int) -> Notice:
    """The user's notice, or NoticeNotFound."""
    notice = find_notice(notice_id)
    if notice is None or not can_manage(user, notice):
        raise NoticeNotFound(notice_id)
    return notice


def notices_for(user: User) -> list[Notice]:
    """The user's organisation's notices (an admin's: all), newest first."""
    query = select(Notice).order_by(Notice.id.desc())
    if not user.is_admin:
        query = query.where(Notice.organisation_id == user.organisation_id)
    return list(db.session.scalars(query))


# The fields of a request body; a version has only the texts and what goes with them.
VERSION_FIELDS: tuple[str, ...] = ("texts", "picture_url", "remedies", "contact")
SELECTION_FIELDS = ("gtins", "serials", "sold_from", "sold_until")
NOTICE_FIELDS = ("kind", "reference", "urgent", *SELECTION_FIELDS, *VERSION_FIELDS)


def _unknown_fields(body: dict[str, Any], fields: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(name, _("unknown field; the fields are %(f)s", f=", ".join(fields)))
        for name in body
        if name not in fields
    ]


def read_notice(body: dict[str, Any], user: User) -> NoticeInput:
    """A whole notice from a request body, every error at once; or NoticeInvalid."""
    problems = _unknown_fields(body, NOTICE_FIELDS)
    kind = body.get("kind")
    if kind not in NOTICE_KINDS:
        problems.append(Problem("kind", _("must be recall or service")))
        kind = "recall"  # check the texts as strictly as a recall
    reference = body.get("reference") or ""
    if not isinstance(reference, str) or len(reference.strip()) > REFERENCE_MAX:
        problems.append(Problem("reference", _("at most %(most)s characters", most=REFERENCE_MAX)))
        reference = ""
    urgent = body.get("urgent") or False
    if not isinstance(urgent, bool):
        problems.append(Problem("urgent", _("must be true or false")))
        urgent = False
    selection, organisation_id = Selection([]), 0
    version = VersionTexts()
    for read in ("selection", "version"):
        try:
            if read == "selection":
                selection, organisation_id = read_selection(body, user)
            else:
                version = read_version(body, kind)
        except NoticeInvalid as exc:
            problems += exc.problems
    if problems:
        raise NoticeInvalid(problems)
    return NoticeInput(kind, reference.strip(), urgent, selection, organisation_id, version)


def dry_run(selection: Selection) -> DryRun:
    """How many units a selection affects, how many have a reachable owner, and by which channel."""
    counts = DryRun()
    reachable: dict[int, str] = {}
    unreachable: set[int] = set()
    units = affected_unit_ids(selection)
    while chunk := list(islice(units, 1000)):
        owners = owners_of_units(chunk)
        counts.units += len(chunk)
        for unit_id in chunk:
            rows = owners.get(unit_id, [])
            if not rows:
                counts.units_without_owner += 1
            reached = False
            for owner in rows:
                channel = notice_channel(owner)
                if channel is None:
                    unreachable.add(owner.id)
                else:
                    reachable[owner.id] = channel
                    reached = True
            counts.units_reachable += reached
    counts.owners = len(reachable)
    counts.owners_unreachable = len(unreachable - set(reachable))
    for channel in reachable.values():
        counts.by_channel[channel] += 1
    return counts


def _version_row(version: VersionTexts, number: int, user: User | None) -> NoticeVersion:
    return NoticeVersion(
        number=number,
        texts=version.texts,
        picture_url=version.picture_url,
        remedies=version.remedies,
        contact=version.contact,
        created_by_id=user.id if user is not None else None,
    )


@transactional
def create_notice(given: NoticeInput, user: User | None, now: datetime) -> Notice:
    """Store a draft notice with its first version."""
    notice = Notice(
        organisation_id=given.organisation_id,
        kind=given.kind,
        reference=given.reference,
        urgent=given.urgent,
        status="draft",
        serials=given.selection.serials_json(),
        sold_from=given.selection.sold_from,
        sold_until=given.selection.sold_until,
        created_at=now,
        created_by_id=user.id if user is not None else None,
    )
    notice.gtins = [NoticeGtin(gtin=gtin) for gtin in given.selection.gtins]
    notice.versions = [_version_row(given.version, 1, user)]
    db.session.add(notice)
    db.session.flush()
    audit.record("notice.create", notice, user, kind=notice.kind, gtins=given.selection.gtins)
    return notice


@transactional
def update_draft(notice: Notice, given: NoticeInput, user: User | None) -> Notice:
    """Replace a draft's selection and texts (nothing was sent yet)."""
    if notice.status != "draft":
        raise NoticeConflict(_("a sent notice is changed by a new version"))
    if given.organisation_id != notice.organisation_id:
        raise NoticeInvalid(
            [Problem("gtins", _("all GTINs of a notice must be of one manufacturer"))]
        )
    notice.kind, notice.reference, notice.urgent = given.kind, given.reference, given.urgent
    notice.serials = given.selection.serials_json()
    notice.sold_from, notice.sold_until = given.selection.sold_from, given.selection.sold_until
    notice.gtins = [NoticeGtin(gtin=gtin) for gtin in given.selection.gtins]
    draft = notice.current
    draft.texts, draft.picture_url = given.version.texts, given.version.picture_url
    draft.remedies, draft.contact = given.version.remedies, given.version.contact
    audit.record("notice.change", notice, user, draft=True)
    return notice


@transactional
def send_notice(notice: Notice, user: User | None, now: datetime) -> FanOutResult:
    """Send a draft: affected owners' messages are queued (the first chunk now, the rest soon)."""
    if notice.status != "draft":
        raise NoticeConflict(_("this notice was sent already"))
    notice.status, notice.sent_at = "sent", now
    forget_open_gtins()
    notice.current.sent_at = now
    audit.record("notice.send", notice, user, version=notice.current.number)
    db.session.flush()
    return fan_out(now, max_units=UNITS_QUEUED_AT_SEND, notice_id=notice.id)


@transactional
def add_version(
    notice: Notice, body: dict[str, Any], user: User | None, now: datetime
) -> NoticeVersion:
    """A new version of a sent notice, queued to the same owners as an update; or NoticeInvalid."""
    if notice.status != "sent":
        raise NoticeConflict(
            _("only a sent, open notice gets new versions; change a draft instead")
        )
    unknown = _unknown_fields(body, VERSION_FIELDS)
    if unknown:
        raise NoticeInvalid(unknown)
    texts = read_version(body, notice.kind, update=True)
    version = _version_row(texts, notice.current.number + 1, user)
    version.sent_at = now
    notice.versions.append(version)
    # Work the affected units off again: each delivery gets this version once.
    notice.queued_after_unit_id, notice.queued_at = 0, None
    db.session.flush()
    audit.record("notice.change", notice, user, version=version.number)
    fan_out(now, max_units=UNITS_QUEUED_AT_SEND, notice_id=notice.id)
    return version


@transactional
def close_notice(notice: Notice, user: User | None, now: datetime) -> Notice:
    """End a notice: no longer shown on pages or sent to new owners (messages sent stay)."""
    if notice.status != "sent":
        raise NoticeConflict(_("only a sent notice can be closed"))
    notice.status, notice.closed_at = "closed", now
    forget_open_gtins()
    audit.record("notice.close", notice, user)
    return notice
