"""Read-only lookups for integrators: a maker's protocols and models, a shop's units by code.

Each is scoped to the caller's organisation (admins see everything); anything else is "not
found", never "forbidden", so ids and GTINs of other organisations do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select

from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, Protocol, ProtocolVersion, Unit, User
from maintenance.services.catalog import find_model_by_gtin, protocol_for_model

# The largest id or number an integer column holds (32 bits on PostgreSQL); larger ones name
# nothing, and asking the database about them would be an error instead of "not found".
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class ProtocolFilter:
    """What a protocol list may be narrowed to; None means any."""

    category: str | None = None
    gtin: str | None = None  # a GTIN-14: the protocol in force for that model
    updated_since: datetime | None = None


def _scoped(query: Select, column: Any, user: User) -> Select:
    return query if user.is_admin else query.where(column == user.organisation_id)


def protocols_page(
    user: User, limit: int, below: int | None = None, where: ProtocolFilter | None = None
) -> list[Protocol]:
    """Up to `limit` of the caller's protocols, newest first, with ids below `below`."""
    where = where or ProtocolFilter()
    query = _scoped(select(Protocol), Protocol.organisation_id, user)
    if below is not None:
        query = query.where(Protocol.id < below)
    if where.category is not None:
        query = query.where(Protocol.category == where.category)
    if where.gtin is not None:
        model = find_model_by_gtin(where.gtin)
        protocol = protocol_for_model(model) if model is not None else None
        query = query.where(Protocol.id == (protocol.id if protocol is not None else None))
    if where.updated_since is not None:
        query = query.where(
            exists().where(
                ProtocolVersion.protocol_id == Protocol.id,
                ProtocolVersion.published_at >= where.updated_since,
            )
        )
    return list(db.session.scalars(query.order_by(Protocol.id.desc()).limit(limit)))


def latest_versions(protocols: list[Protocol]) -> dict[int, ProtocolVersion]:
    """The version in force of each protocol, in one query."""
    ids = [protocol.id for protocol in protocols]
    newest = (
        select(ProtocolVersion.protocol_id, func.max(ProtocolVersion.number).label("number"))
        .where(ProtocolVersion.protocol_id.in_(ids))
        .group_by(ProtocolVersion.protocol_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(ProtocolVersion).join(
            newest,
            (ProtocolVersion.protocol_id == newest.c.protocol_id)
            & (ProtocolVersion.number == newest.c.number),
        )
    )
    return {version.protocol_id: version for version in rows}


def own_protocol(user: User, protocol_id: int) -> Protocol | None:
    """The caller's protocol with this id, if it is the caller's."""
    protocol = db.session.get(Protocol, protocol_id) if 0 < protocol_id <= MAX_ID else None
    if protocol is None or not (user.is_admin or protocol.organisation_id == user.organisation_id):
        return None
    return protocol


def protocol_version(protocol: Protocol, number: int) -> ProtocolVersion | None:
    """A published version of the protocol by its number."""
    if not 0 < number <= MAX_ID:
        return None
    return db.session.scalar(
        select(ProtocolVersion).where(
            ProtocolVersion.protocol_id == protocol.id, ProtocolVersion.number == number
        )
    )


def model_gtins(protocol: Protocol) -> list[str]:
    """The GTINs of the models that have this protocol as their own (none for a default)."""
    return list(
        db.session.scalars(
            select(ModelGtin.gtin)
            .join(ProductModel, ProductModel.id == ModelGtin.product_model_id)
            .where(ProductModel.protocol_id == protocol.id)
            .order_by(ModelGtin.gtin)
        )
    )


def models_page(user: User, limit: int, below: int | None = None) -> list[ProductModel]:
    """Up to `limit` of the caller's product models, newest first, with ids below `below`."""
    query = _scoped(select(ProductModel), ProductModel.organisation_id, user)
    if below is not None:
        query = query.where(ProductModel.id < below)
    return list(db.session.scalars(query.order_by(ProductModel.id.desc()).limit(limit)))


def own_model(user: User, gtin14: str) -> ProductModel | None:
    """The caller's model with this GTIN-14, if it is the caller's."""
    model = find_model_by_gtin(gtin14)
    if model is None or not (user.is_admin or model.organisation_id == user.organisation_id):
        return None
    return model


def units_page(
    organisation_id: int,
    limit: int,
    below: int | None = None,
    gtin: str | None = None,
    serial: str | None = None,
) -> list[Unit]:
    """Up to `limit` of the shop's units, newest first; a GTIN-14 and serial narrow it down
    (a till that lost the answer to its registration finds the unit again)."""
    query = select(Unit).where(Unit.retailer_id == organisation_id)
    if below is not None:
        query = query.where(Unit.id < below)
    if gtin is not None:
        query = query.where(Unit.gtin == gtin)
    if serial is not None:
        query = query.where(Unit.serial == serial)
    return list(db.session.scalars(query.order_by(Unit.id.desc()).limit(limit)))
