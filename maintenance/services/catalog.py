"""Queries and changes for product models, their GTINs and the protocol that applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.sql.functions import coalesce

from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, Protocol, ProtocolVersion
from maintenance.services.product_links import document_links

# Plain copies of published versions kept per process; a few hundred cover every protocol in use.
VERSION_CACHE_SIZE = 512


@dataclass(frozen=True)
class TaskInfo:
    """One task of a published version as plain data, shared safely between requests."""

    key: str
    position: int
    every: str | None
    rrule: str | None
    first_due: str | None
    difficulty: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class VersionKey:
    """What identifies a published version's content: its id, number and document hash."""

    id: int
    number: int
    content_hash: str


@dataclass(frozen=True)
class VersionInfo:
    """A published protocol version as plain data: what the unit page and its plan need."""

    key: VersionKey
    document_title: Mapping[str, str]
    tasks: tuple[TaskInfo, ...]
    # The protocol's troubleshooting section as published: symptoms with checks and related tasks.
    troubleshooting: tuple[Mapping[str, Any], ...] = ()
    # The manufacturer's links of the document (`links`), by GS1 link type.
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The version's id (as ProtocolVersion.id)."""
        return self.key.id

    @property
    def number(self) -> int:
        """The version number within its protocol."""
        return self.key.number

    @property
    def title(self) -> Mapping[str, str]:
        """The protocol title per language."""
        return self.document_title


# Published versions never change, so their plain copies never go stale. The cache is keyed by id,
# number and content hash, not id alone: a database emptied and filled again (as tests do) reuses
# ids. Which version is in force is asked of the database on every request (one small indexed
# subquery), so a newly published version or a model moved to another protocol shows at once.
_versions: dict[VersionKey, VersionInfo] = {}


def find_model_by_gtin(gtin14: str) -> ProductModel | None:
    """The product model a GTIN-14 identifies, if known."""
    return db.session.scalar(
        select(ProductModel)
        .join(ModelGtin, ModelGtin.product_model_id == ProductModel.id)
        .where(ModelGtin.gtin == gtin14)
    )


def find_default_protocol(category: str, organisation_id: int | None) -> Protocol | None:
    """A category default: the manufacturer's own, or the library's when organisation is None."""
    return db.session.scalar(
        select(Protocol).where(
            Protocol.category == category,
            Protocol.scope == "default",
            Protocol.organisation_id.is_(None)
            if organisation_id is None
            else Protocol.organisation_id == organisation_id,
        )
    )


def protocol_for_model(model: ProductModel) -> Protocol | None:
    """The protocol in force for a model: its own, its maker's default, else the library's."""
    if model.protocol_id is not None:
        return db.session.get(Protocol, model.protocol_id)
    return find_default_protocol(model.category, model.organisation_id) or find_default_protocol(
        model.category, None
    )


def _default_protocol_id(
    category: ColumnElement[str] | str, organisation_id: ColumnElement[int] | int | None
) -> ScalarSelect[int]:
    """The id of a category default (the library's when organisation_id is None), as SQL."""
    owner = (
        Protocol.organisation_id.is_(None)
        if organisation_id is None
        else Protocol.organisation_id == organisation_id
    )
    return (
        select(Protocol.id)
        .where(Protocol.category == category, Protocol.scope == "default", owner)
        .correlate(ProductModel)
        .scalar_subquery()
    )


def version_in_force_id(model: ProductModel | None = None) -> ScalarSelect[int]:
    """SQL for the id of the version in force: of `model`, or of the query's product_model row.

    The same choice as protocol_for_model (own protocol, maker's default, library default) and
    then its highest number, each step an indexed lookup.
    """
    if model is None:
        protocol_id: Any = ProductModel.protocol_id
        category: Any = ProductModel.category
        organisation_id: Any = ProductModel.organisation_id
    else:
        protocol_id, category = model.protocol_id, model.category
        organisation_id = model.organisation_id
    protocol = coalesce(
        protocol_id,
        _default_protocol_id(category, organisation_id),
        _default_protocol_id(category, None),
    )
    return (
        select(ProtocolVersion.id)
        .where(ProtocolVersion.protocol_id == protocol)
        .order_by(ProtocolVersion.number.desc())
        .limit(1)
        .correlate(ProductModel)
        .scalar_subquery()
    )


def current_version_for_model(model: ProductModel) -> ProtocolVersion | None:
    """The protocol version in force for a model, or None when its category has none."""
    return db.session.scalar(
        select(ProtocolVersion).where(ProtocolVersion.id == version_in_force_id(model))
    )


def version_info(key: VersionKey) -> VersionInfo:
    """The plain copy of a published version, from the process cache or loaded once."""
    info = _versions.get(key)
    if info is None:
        version = db.session.get_one(ProtocolVersion, key.id)
        info = VersionInfo(
            key=key,
            document_title=dict(version.title),
            tasks=tuple(
                TaskInfo(
                    key=task.key,
                    position=task.position,
                    every=task.every,
                    rrule=task.rrule,
                    first_due=task.first_due,
                    difficulty=task.difficulty,
                    spec=task.spec,
                )
                for task in version.tasks
            ),
            troubleshooting=tuple(version.document.get("troubleshooting", ())),
            links=document_links(version.document),
        )
        if len(_versions) >= VERSION_CACHE_SIZE:
            _versions.clear()  # far more versions than in use: start over rather than track age
        _versions[key] = info
    return info


def current_version_info(model: ProductModel) -> VersionInfo | None:
    """The version in force for a model as plain data (one small query, then the cache)."""
    row = db.session.execute(
        select(ProtocolVersion.id, ProtocolVersion.number, ProtocolVersion.content_hash).where(
            ProtocolVersion.id == version_in_force_id(model)
        )
    ).first()
    return version_info(VersionKey(*row)) if row is not None else None


def get_model(model_id: int) -> ProductModel:
    """The product model with this id (one a scan just found, so it exists)."""
    return db.session.get_one(ProductModel, model_id)


def find_version(version_id: int) -> ProtocolVersion | None:
    """A published protocol version by id, if there is one."""
    return db.session.get(ProtocolVersion, version_id)


def protocols_of(organisation_id: int | None) -> list[Protocol]:
    """An organisation's protocols (every protocol when None), by category and scope."""
    query = select(Protocol).order_by(Protocol.category, Protocol.scope)
    if organisation_id is not None:
        query = query.where(Protocol.organisation_id == organisation_id)
    return list(db.session.scalars(query))


def task_titles_by_version(version_ids: set[int]) -> dict[tuple[int, str], Mapping[str, str]]:
    """Each task's title per language, by (version id, task key): for logs of older versions."""
    titles: dict[tuple[int, str], Mapping[str, str]] = {}
    for version in db.session.scalars(
        select(ProtocolVersion).where(ProtocolVersion.id.in_(version_ids))
    ):
        for task in version.tasks:
            titles[(version.id, task.key)] = task.spec.get("title", {})
    return titles
