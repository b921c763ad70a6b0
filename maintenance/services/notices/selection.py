"""Which units a notice affects: GTINs, then optional serial ranges or lists and a sale window."""

# A serial range names its first and last serial, e.g. SN0100 to SN0199: both ends have the same
# letters before a number at the end, and a serial is in the range when it has those letters and
# a number between the two (with as many digits, when both ends have the same number of digits,
# so SN0150 is in SN0100-SN0199 but SN150 is not). A unit with no recorded sale date stays in a
# notice with a sale window: for a safety recall, one message too many is better than one too few.

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from maintenance.extensions import db
from maintenance.models import ModelGtin, Notice, Unit, User
from maintenance.services.identifiers import IdentifierError, normalize_gtin, validate_serial
from maintenance.services.notices.texts import NoticeInvalid, Problem

MAX_GTINS = 50
MAX_RANGES = 100
MAX_LISTED = 10_000
_TRAILING_NUMBER = re.compile(r"(.*?)([0-9]+)")


@dataclass(frozen=True)
class SerialRange:
    """First and last serial of a range, split where their number starts."""

    first: str
    last: str
    prefix: str
    low: int
    high: int
    width: int | None  # the number's digits when both ends have as many, else None

    @classmethod
    def parse(cls, first: str, last: str) -> SerialRange:
        """A range from its two ends, or ValueError saying why not."""
        a, b = _TRAILING_NUMBER.fullmatch(first), _TRAILING_NUMBER.fullmatch(last)
        if a is None or b is None:
            raise ValueError(_("both ends of a range must end in a number"))
        if a[1] != b[1]:
            raise ValueError(_("both ends of a range must start with the same letters"))
        if int(a[2]) > int(b[2]):
            raise ValueError(_("the first serial of a range must not be above the last"))
        width = len(a[2]) if len(a[2]) == len(b[2]) else None
        return cls(first, last, a[1], int(a[2]), int(b[2]), width)

    def __contains__(self, serial: object) -> bool:
        if not isinstance(serial, str):
            return False
        match = _TRAILING_NUMBER.fullmatch(serial)
        if match is None or match[1] != self.prefix:
            return False
        if self.width is not None and len(match[2]) != self.width:
            return False
        return self.low <= int(match[2]) <= self.high


@dataclass
class Selection:
    """The affected units of a notice, as stored on it."""

    gtins: list[str]
    ranges: list[SerialRange] = field(default_factory=list)
    listed: frozenset[str] = frozenset()
    sold_from: date | None = None
    sold_until: date | None = None

    @classmethod
    def of(cls, notice: Notice) -> Selection:
        """The selection a notice stores."""
        serials = notice.serials or {}
        return cls(
            [row.gtin for row in notice.gtins],
            [SerialRange.parse(a, b) for a, b in serials.get("ranges", [])],
            frozenset(serials.get("list", [])),
            notice.sold_from,
            notice.sold_until,
        )

    @property
    def by_serial(self) -> bool:
        """Whether only some serials are affected (else every unit of the GTINs)."""
        return bool(self.ranges or self.listed)

    def serials_json(self) -> dict[str, Any]:
        """The serials as Notice.serials stores them."""
        return {"ranges": [[r.first, r.last] for r in self.ranges], "list": sorted(self.listed)}

    def matches(self, gtin: str, serial: str | None, sold_on: date | None) -> bool:
        """Whether a unit with these values is affected."""
        if gtin not in self.gtins:
            return False
        if sold_on is not None and (
            (self.sold_from is not None and sold_on < self.sold_from)
            or (self.sold_until is not None and sold_on > self.sold_until)
        ):
            return False
        if not self.by_serial:
            return True
        return serial is not None and (
            serial in self.listed or any(serial in r for r in self.ranges)
        )


def affected_unit_ids(selection: Selection, after_id: int = 0) -> Iterator[int]:
    """Ids of the units a selection affects, in id order from after_id (voided labels left out)."""
    query = (
        select(Unit.id, Unit.gtin, Unit.serial, Unit.sold_on)
        .where(Unit.gtin.in_(selection.gtins), Unit.voided_at.is_(None), Unit.id > after_id)
        .order_by(Unit.id)
    )
    if selection.sold_from is not None:
        query = query.where(or_(Unit.sold_on.is_(None), Unit.sold_on >= selection.sold_from))
    if selection.sold_until is not None:
        query = query.where(or_(Unit.sold_on.is_(None), Unit.sold_on <= selection.sold_until))
    if selection.listed and not selection.ranges and len(selection.listed) <= 500:
        query = query.where(Unit.serial.in_(sorted(selection.listed)))
    for unit_id, gtin, serial, sold_on in db.session.execute(
        query.execution_options(yield_per=5000)
    ):
        if selection.matches(gtin, serial, sold_on):
            yield unit_id


def read_selection(body: dict[str, Any], user: User) -> tuple[Selection, int]:
    """The selection of a request body and the manufacturer it belongs to; or NoticeInvalid.

    A manufacturer selects only its own models' GTINs; an admin any, all of one manufacturer.
    """
    problems: list[Problem] = []
    gtins = _gtins(body.get("gtins"), problems)
    owners: set[int] = set()
    for index, gtin in enumerate(gtins):
        row = db.session.get(ModelGtin, gtin)
        if row is None:
            problems.append(
                Problem(f"gtins[{index}]", _("no model has the GTIN %(gtin)s", gtin=gtin))
            )
        elif not user.is_admin and row.product_model.organisation_id != user.organisation_id:
            problems.append(
                Problem(
                    f"gtins[{index}]", _("GTIN %(gtin)s is another manufacturer's model", gtin=gtin)
                )
            )
        else:
            owners.add(row.product_model.organisation_id)
    if len(owners) > 1:
        problems.append(Problem("gtins", _("all GTINs of a notice must be of one manufacturer")))
    selection = Selection(gtins)
    serials = body.get("serials") or {}
    if not isinstance(serials, dict) or set(serials) - {"ranges", "list"}:
        problems.append(Problem("serials", _("give serials as ranges and a list")))
        serials = {}
    selection.ranges = _ranges(serials.get("ranges") or [], problems)
    selection.listed = _listed(serials.get("list") or [], problems)
    selection.sold_from = _date(body.get("sold_from"), "sold_from", problems)
    selection.sold_until = _date(body.get("sold_until"), "sold_until", problems)
    if selection.sold_from and selection.sold_until and selection.sold_from > selection.sold_until:
        problems.append(Problem("sold_until", _("the sale window ends before it starts")))
    if problems:
        raise NoticeInvalid(problems)
    return selection, owners.pop()


def _gtins(value: object, problems: list[Problem]) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.append(Problem("gtins", _("give at least one GTIN of the product")))
        return []
    if len(value) > MAX_GTINS:
        problems.append(Problem("gtins", _("at most %(most)s GTINs", most=MAX_GTINS)))
        return []
    gtins: list[str] = []
    for index, text in enumerate(value):
        try:
            if not isinstance(text, str):
                raise IdentifierError(_("must be a text"))
            gtin = normalize_gtin(text)
        except IdentifierError as exc:
            problems.append(Problem(f"gtins[{index}]", str(exc)))
            continue
        if gtin not in gtins:
            gtins.append(gtin)
    return gtins


def _serial(value: object, path: str, problems: list[Problem]) -> str | None:
    try:
        if not isinstance(value, str):
            raise IdentifierError(_("must be a text"))
        return validate_serial(value)
    except IdentifierError as exc:
        problems.append(Problem(path, str(exc)))
        return None


def _ranges(value: object, problems: list[Problem]) -> list[SerialRange]:
    if not isinstance(value, list) or len(value) > MAX_RANGES:
        problems.append(Problem("serials.ranges", _("at most %(most)s ranges", most=MAX_RANGES)))
        return []
    ranges = []
    for index, item in enumerate(value):
        path = f"serials.ranges[{index}]"
        ends = item
        if not isinstance(ends, list) or len(ends) != 2:
            problems.append(Problem(path, _("a range has a first and a last serial")))
            continue
        first, last = (_serial(end, path, problems) for end in ends)
        if first is None or last is None:
            continue
        try:
            ranges.append(SerialRange.parse(first, last))
        except ValueError as exc:
            problems.append(Problem(path, str(exc)))
    return ranges


def _listed(value: object, problems: list[Problem]) -> frozenset[str]:
    if not isinstance(value, list) or len(value) > MAX_LISTED:
        problems.append(Problem("serials.list", _("at most %(most)s serials", most=MAX_LISTED)))
        return frozenset()
    serials = (_serial(item, f"serials.list[{i}]", problems) for i, item in enumerate(value))
    return frozenset(serial for serial in serials if serial is not None)


def _date(value: object, path: str, problems: list[Problem]) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(path, _("must be a date as YYYY-MM-DD")))
        return None
