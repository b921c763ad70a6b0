"""Queries and changes for product models, their GTINs and the protocol that applies."""

from __future__ import annotations

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, Protocol, ProtocolVersion


def find_model_by_gtin(gtin14: str) -> ProductModel | None:
    """The product model a GTIN-14 identifies, if known."""
    row = db.session.get(ModelGtin, gtin14)
    return row.product_model if row is not None else None


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


def current_version_for_model(model: ProductModel) -> ProtocolVersion | None:
    """The protocol version in force for a model, or None when its category has none."""
    protocol = protocol_for_model(model)
    return protocol.current if protocol is not None and protocol.versions else None
