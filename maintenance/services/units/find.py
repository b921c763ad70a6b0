"""Finding units: by GTIN and serial or code, by scan (one query, read pool), for a shop's user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import aliased

from maintenance.db.reads import read_first
from maintenance.extensions import db
from maintenance.models import ModelGtin, ProductModel, ProtocolVersion, Unit, User
from maintenance.services.catalog import VersionInfo, VersionKey, version_in_force_id, version_info
from maintenance.services.permissions import can_manage_unit
from maintenance.services.product_links import has_own_links
from maintenance.services.schedules.plan import has_records
from maintenance.services.units.errors import UnitNotFound

# The largest id the unit table holds (a 32-bit column on PostgreSQL); larger ids name no unit,
# and asking the database about them would be an error instead of "not found".
MAX_UNIT_ID = 2**31 - 1


def find_unit(gtin: str, serial: str | None = None, unit_code: str | None = None) -> Unit | None:
    """The unit with this GTIN-14 and serial or unit code (voided ones included), if any."""
    if (serial is None) == (unit_code is None):
        raise ValueError("give exactly one of serial or unit_code")
    query = select(Unit).where(Unit.gtin == gtin)
    if serial is not None:
        query = query.where(Unit.serial == serial)
    else:
        query = query.where(Unit.unit_code == unit_code)
    return db.session.scalar(query)


@dataclass(frozen=True)
class ScannedModel:
    """The model a scanned GTIN names, as plain data: what its pages need."""

    id: int
    brand: str
    name: str
    has_links: bool = False  # whether the maker set links of its own for it (product_links.py)


@dataclass(frozen=True)
class ScannedUnit:
    """The unit a scanned serial or code names, as plain data: what its page and plan need."""

    id: int
    sold_on: date | None
    voided_at: datetime | None


@dataclass(frozen=True)
class Scanned:
    """What a scanned code names: the GTIN's model, the unit if registered, the version in force."""

    model: ScannedModel
    unit: ScannedUnit | None
    version: VersionInfo | None
    unit_has_records: bool  # whether the unit has any task schedule or log entry


@cache
def _scan_query(code: str | None) -> Select[Any]:
    """find_scanned's statement for a serial, a unit code or neither, built once (it runs a lot)."""
    in_force = aliased(ProtocolVersion)
    query = (
        select(
            ProductModel.id,
            ProductModel.brand,
            ProductModel.name,
            in_force.id,
            in_force.number,
            in_force.content_hash,
            has_own_links(ProductModel.id),
        )
        .select_from(ModelGtin)
        .join(ProductModel, ProductModel.id == ModelGtin.product_model_id)
        .outerjoin(in_force, in_force.id == version_in_force_id())
        .where(ModelGtin.gtin == bindparam("gtin"))
    )
    if code is None:
        return query
    column = Unit.serial if code == "serial" else Unit.unit_code
    return query.add_columns(Unit.id, Unit.sold_on, Unit.voided_at, has_records(Unit.id)).outerjoin(
        Unit, and_(Unit.gtin == bindparam("gtin"), column == bindparam("code"))
    )


def find_scanned(
    gtin: str, serial: str | None = None, unit_code: str | None = None
) -> Scanned | None:
    """The model, unit (voided ones included) and version in force in one query; None: no model.

    Plain rows from the read pool (reads.py), not ORM objects through the session: this runs
    on every scan, changes nothing, and a scan of a unit nobody registered needs nothing else.
    """
    if serial is not None and unit_code is not None:
        raise ValueError("give at most one of serial or unit_code")
    code = "serial" if serial is not None else "unit_code" if unit_code is not None else None
    # Autocommit, so the statement stays prepared and its subqueries are not planned per scan.
    row = read_first(_scan_query(code), {"gtin": gtin, "code": serial or unit_code})
    if row is None:
        return None
    model_id, brand, name, version_id, number, content_hash, has_links, *found = row
    unit_id, sold_on, voided_at, unit_has_records = found if found else (None, None, None, False)
    if voided_at is not None:
        voided_at = voided_at.astimezone(UTC)  # the driver's zone; UtcDateTime gives UTC
    return Scanned(
        model=ScannedModel(model_id, brand, name, bool(has_links)),
        unit=ScannedUnit(unit_id, sold_on, voided_at) if unit_id is not None else None,
        version=version_info(VersionKey(version_id, number, content_hash))
        if version_id is not None
        else None,
        unit_has_records=bool(unit_has_records),
    )


def get_unit_for(user: User, unit_id: int) -> Unit:
    """The unit if the user may manage it; UnitNotFound for unknown and other shops' units alike."""
    unit = db.session.get(Unit, unit_id) if 0 < unit_id <= MAX_UNIT_ID else None
    if unit is None or not can_manage_unit(user, unit):
        raise UnitNotFound(unit_id)
    return unit


def get_units_for(user: User, unit_ids: Sequence[int]) -> list[Unit]:
    """Several units in the given order, each checked as in get_unit_for."""
    valid_ids = [unit_id for unit_id in unit_ids if 0 < unit_id <= MAX_UNIT_ID]
    found = {
        unit.id: unit for unit in db.session.scalars(select(Unit).where(Unit.id.in_(valid_ids)))
    }
    units = []
    for unit_id in unit_ids:
        unit = found.get(unit_id)
        if unit is None or not can_manage_unit(user, unit):
            raise UnitNotFound(unit_id)
        units.append(unit)
    return units


def recent_units(organisation_id: int, limit: int = 20) -> list[Unit]:
    """The shop's most recently registered units, newest first."""
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.retailer_id == organisation_id)
            .order_by(Unit.created_at.desc(), Unit.id.desc())
            .limit(limit)
        )
    )
