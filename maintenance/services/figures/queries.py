"""The counting queries behind every dashboard: one grouped query per table, no row loops.

Every measure counts events and, in the same pass, the distinct units behind them, so a
cell can be hidden when it is about fewer than five households.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from maintenance.extensions import db
from maintenance.i18n import localized
from maintenance.models import Event, ProductModel, Protocol, ProtocolVersion, ScanEvent, Task, Unit
from maintenance.services.figures.cells import Count
from maintenance.services.protocols.vocabulary import load_categories

# A task done up to a week after its due date still counts as on time: the reminder goes on
# the due day and people need a weekend to get to it.
ON_TIME_GRACE_DAYS = 7


@dataclass(frozen=True)
class Scope:
    """Whose figures and which period: one manufacturer's or retailer's, or the whole sector."""

    start: date
    end: date  # inclusive
    manufacturer_id: int | None = None
    retailer_id: int | None = None
    model_ids: tuple[int, ...] = ()  # empty: every model in scope

    def event_filter(self) -> ColumnElement[bool]:
        """The WHERE clause for Event rows in this scope."""
        clauses = [Event.day >= self.start, Event.day <= self.end]
        if self.manufacturer_id is not None:
            clauses.append(Event.manufacturer_id == self.manufacturer_id)
        if self.retailer_id is not None:
            clauses.append(Event.retailer_id == self.retailer_id)
        if self.model_ids:
            clauses.append(Event.product_model_id.in_(self.model_ids))
        return and_(*clauses)


@dataclass(frozen=True)
class Measure:
    """A named count over the rows matching a condition."""

    name: str
    when: ColumnElement[bool]


@dataclass
class Grouped:
    """Counts per group key (a tuple of the grouping values) and measure name."""

    counts: dict[tuple[Any, ...], dict[str, Count]] = field(default_factory=dict)

    def get(self, key: tuple[Any, ...], name: str) -> Count:
        """The count for a group and measure; zero when the group has no rows."""
        return self.counts.get(key, {}).get(name, Count(0, 0))

    def total(self, name: str) -> int:
        """The measure summed over all groups (only for totals that are hidden separately)."""
        return sum(row.get(name, Count(0)).value for row in self.counts.values())

    def groups(self) -> list[tuple[Any, ...]]:
        """The group keys present, in query order."""
        return list(self.counts)

    def rollup(self, key: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> Grouped:
        """Coarser groups from finer ones, without another pass over the events.

        Counts add up exactly. Distinct units do not add up, so the coarser group gets the
        largest of its parts: never more than the truth, so a cell is hidden at least as
        often as an exact count would hide it.
        """
        result = Grouped()
        for fine, row in self.counts.items():
            target = result.counts.setdefault(key(fine), {})
            for name, count in row.items():
                had = target.get(name, Count(0, 0))
                target[name] = Count(had.value + count.value, max(had.people, count.people))
        return result


def dialect() -> str:
    """The database's dialect name (SQLite and PostgreSQL spell dates differently)."""
    return db.session.get_bind().dialect.name


def month_of(column: Any) -> ColumnElement[str]:
    """'YYYY-MM' of a date column."""
    if dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    # SQLite keeps dates and times as ISO text: the first seven characters are the month,
    # and cutting them is much cheaper than strftime on every row.
    return func.substr(column, 1, 7)


def on_time() -> ColumnElement[bool]:
    """A task event on or within the grace period after its due date."""
    return Event.days_late <= ON_TIME_GRACE_DAYS


def kind_is(*kinds: str) -> ColumnElement[bool]:
    """Event.kind is one of these."""
    return Event.kind.in_(kinds) if len(kinds) > 1 else Event.kind == kinds[0]


def grouped(
    entity: Any,
    where: ColumnElement[bool],
    groups: Sequence[Any],
    measures: Iterable[Measure],
    *,
    joins: Sequence[tuple[Any, Any]] = (),
) -> Grouped:
    """Run one grouped query: for each measure the rows and the distinct units behind them.

    Two steps, because one DISTINCT per measure is slow on SQLite: first count per group and
    unit, then add those up per group and count the units with at least one row.
    """
    measures = list(measures)
    # Units stand in for people. Grouping by the plain column (not an expression) lets an
    # index that holds it give the rows already in group order.
    person = entity.unit_id
    keys = [group.label(f"g{i}") for i, group in enumerate(groups)]
    inner: Select[Any] = select(
        *keys,
        person.label("person"),
        *(
            func.sum(case((measure.when, literal(1)), else_=literal(0))).label(f"m{i}")
            for i, measure in enumerate(measures)
        ),
    ).select_from(entity)
    for target, on in joins:
        inner = inner.join(target, on)
    step = inner.where(where).group_by(*groups, person).subquery()
    columns: list[Any] = [step.c[f"g{i}"] for i in range(len(groups))]
    for i in range(len(measures)):
        column = step.c[f"m{i}"]
        # Rows without a unit share one group here, but each is a person of its own.
        people = case((step.c.person.is_(None), column), (column > 0, literal(1)), else_=literal(0))
        columns += [func.sum(column), func.sum(people)]
    query = select(*columns)
    if groups:
        query = query.group_by(*columns[: len(groups)])
    result = Grouped()
    width = len(groups)
    for row in db.session.execute(query):
        values = row[width:]
        if not any(values):
            continue  # no rows at all (an aggregate without groups still returns one)
        result.counts[tuple(row[:width])] = {
            measure.name: Count(int(values[2 * i] or 0), int(values[2 * i + 1] or 0))
            for i, measure in enumerate(measures)
        }
    return result


def scan_where(scope: Scope) -> tuple[ColumnElement[bool], list[tuple[Any, Any]]]:
    """The WHERE clause (and joins) for scans in a scope."""
    clauses: list[ColumnElement[bool]] = [ScanEvent.day >= scope.start, ScanEvent.day <= scope.end]
    joins: list[tuple[Any, Any]] = []
    if scope.manufacturer_id is not None:
        clauses.append(ScanEvent.product_model_id.in_(model_ids_of(scope.manufacturer_id)))
    if scope.retailer_id is not None:
        joins.append((Unit, Unit.id == ScanEvent.unit_id))
        clauses.append(Unit.retailer_id == scope.retailer_id)
    if scope.model_ids:
        clauses.append(ScanEvent.product_model_id.in_(scope.model_ids))
    return (and_(*clauses) if clauses else true()), joins


def scans(scope: Scope, groups: Sequence[Any], *, by_category: bool = False) -> Grouped:
    """Scans per group in a scope (by_category joins the model, to group by its category)."""
    where, joins = scan_where(scope)
    if by_category:
        joins.append((ProductModel, ProductModel.id == ScanEvent.product_model_id))
    return grouped(ScanEvent, where, groups, [Measure("scans", true())], joins=joins)


def model_ids_of(manufacturer_id: int) -> list[int]:
    """The ids of a manufacturer's models."""
    return list(
        db.session.scalars(
            select(ProductModel.id).where(ProductModel.organisation_id == manufacturer_id)
        )
    )


def models_of(manufacturer_id: int | None) -> list[ProductModel]:
    """A manufacturer's models (every model when None), by brand and name."""
    query = select(ProductModel).order_by(ProductModel.brand, ProductModel.name, ProductModel.id)
    if manufacturer_id is not None:
        query = query.where(ProductModel.organisation_id == manufacturer_id)
    return list(db.session.scalars(query))


def model_names(ids: Iterable[int | None]) -> dict[int, str]:
    """'Brand Model' per product model id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(ProductModel.id, ProductModel.brand, ProductModel.name).where(
            ProductModel.id.in_(wanted)
        )
    )
    return {row.id: f"{row.brand} {row.name}" for row in rows}


def task_titles(
    tasks: Iterable[tuple[int | None, str | None]],
) -> dict[tuple[int, str], dict[str, str]]:
    """The title (per language) of each (version id, task key) as that protocol version names it.

    The same uniform key is a different job in another category ("clean-filter" is the drain
    pump filter of a washing machine and the grease filter of a range hood), so a title is
    looked up in the version the task was planned under, never by its key alone.
    """
    wanted = {(version, key) for version, key in tasks if version is not None and key}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Task.version_id, Task.key, Task.spec).where(
            Task.version_id.in_({version for version, _key in wanted})
        )
    )
    return {
        (version, key): spec["title"]
        for version, key, spec in rows
        if (version, key) in wanted and spec.get("title")
    }


def vocabulary_task_title(category: str | None, key: str) -> dict[str, str]:
    """A uniform task's title (per language) in its category's vocabulary; the key when unlisted."""
    tasks = (load_categories().get(category or "") or {}).get("tasks") or {}
    return tasks.get(key) or {"en": key}


def category_name(category: str) -> str:
    """A category's name in the page's language, from the category vocabulary (else its id)."""
    return localized((load_categories().get(category) or {}).get("title")) or category


def model_categories(ids: Iterable[int]) -> dict[int, str]:
    """The category of each product model id."""
    rows = db.session.execute(
        select(ProductModel.id, ProductModel.category).where(ProductModel.id.in_(set(ids)))
    )
    return {row.id: row.category for row in rows}


def version_labels(ids: Iterable[int | None]) -> dict[int, tuple[str, dict[str, str], int]]:
    """(category, protocol title, version number) per protocol version id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(
            ProtocolVersion.id, Protocol.category, ProtocolVersion.document, ProtocolVersion.number
        )
        .join(Protocol, Protocol.id == ProtocolVersion.protocol_id)
        .where(ProtocolVersion.id.in_(wanted))
    )
    return {row[0]: (row[1], row[2].get("title") or {}, row[3]) for row in rows}


def months_between(start: date, end: date) -> list[str]:
    """Every 'YYYY-MM' from start to end, inclusive."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def counts_by_month(data: Grouped, months: Sequence[str], name: str) -> Mapping[str, Count]:
    """One measure per month from a query grouped by month only."""
    return {month: data.get((month,), name) for month in months}
