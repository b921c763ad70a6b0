"""Which organisation a GTIN belongs to: its GS1 company prefixes, and exceptions an admin makes."""

# The rule for publishing a protocol for a GTIN (docs/protocol-library.md, "Who may publish for
# a GTIN"):
#
# 1. A GTIN already on one of the organisation's models stays its own: existing models keep
#    working, with or without prefixes.
# 2. A GTIN on another organisation's model is never taken over by publishing.
# 3. A new GTIN needs an exception assigning it to the organisation, or one of its GS1 company
#    prefixes; a GTIN under another organisation's prefix, or assigned to another, is refused.
#    An organisation without prefixes publishes for new GTINs only through exceptions.

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import CompanyPrefix, GtinAssignment, ModelGtin, Organisation
from maintenance.services import audit
from maintenance.services.identifiers import IdentifierError, normalize_gtin

# GS1 company prefixes are 4 to 12 digits, written as in a GTIN-13.
MIN_PREFIX_DIGITS = 4
MAX_PREFIX_DIGITS = 12


class PrefixError(ValueError):
    """A prefix or GTIN assignment an admin asked for cannot be made; the message says why."""


def gtin13_form(gtin14: str) -> str:
    """The GTIN-14 without its indicator digit: the digits a company prefix is written against."""
    return gtin14[1:]


def normalise_prefix(text: str) -> str:
    """A company prefix as stored: 4 to 12 ASCII digits, or PrefixError."""
    prefix = text.strip().replace(" ", "")
    if not (prefix.isascii() and prefix.isdigit()):
        raise PrefixError(f"{text!r} is not a GS1 company prefix: use only the digits 0-9")
    if not MIN_PREFIX_DIGITS <= len(prefix) <= MAX_PREFIX_DIGITS:
        raise PrefixError(
            f"{text!r} is not a GS1 company prefix: it has {len(prefix)} digits, a prefix has "
            f"{MIN_PREFIX_DIGITS} to {MAX_PREFIX_DIGITS} (as in a GTIN-13; a UPC prefix "
            "with its leading 0)"
        )
    return prefix


def prefixes_of(organisation: Organisation) -> list[str]:
    """The organisation's company prefixes, in order."""
    return list(
        db.session.scalars(
            select(CompanyPrefix.prefix)
            .where(CompanyPrefix.organisation_id == organisation.id)
            .order_by(CompanyPrefix.prefix)
        )
    )


def assignments_of(organisation: Organisation) -> list[str]:
    """The GTIN-14s assigned to the organisation as exceptions, in order."""
    return list(
        db.session.scalars(
            select(GtinAssignment.gtin)
            .where(GtinAssignment.organisation_id == organisation.id)
            .order_by(GtinAssignment.gtin)
        )
    )


def _manufacturer(organisation: Organisation) -> None:
    if organisation.kind != "manufacturer":
        raise PrefixError(f"{organisation.name} is a {organisation.kind}, not a manufacturer")


@transactional
def set_prefixes(organisation: Organisation, texts: Iterable[str]) -> list[str]:
    """Replace the organisation's company prefixes; refuse one that overlaps another's."""
    _manufacturer(organisation)
    wanted = sorted({normalise_prefix(text) for text in texts})
    # Overlapping prefixes would make a GTIN two organisations'. A few hundred rows at most.
    others = db.session.scalars(
        select(CompanyPrefix).where(CompanyPrefix.organisation_id != organisation.id)
    ).all()
    for prefix in wanted:
        for other in wanted:
            if other != prefix and other.startswith(prefix):
                raise PrefixError(f"{other} lies within {prefix}; give only {prefix}")
        for row in others:
            if row.prefix.startswith(prefix) or prefix.startswith(row.prefix):
                raise PrefixError(
                    f"{prefix} overlaps {row.prefix}, a prefix of {row.organisation.name}"
                )
    current = {
        row.prefix: row
        for row in db.session.scalars(
            select(CompanyPrefix).where(CompanyPrefix.organisation_id == organisation.id)
        )
    }
    for prefix, row in current.items():
        if prefix not in wanted:
            db.session.delete(row)
    for prefix in wanted:
        if prefix not in current:
            db.session.add(CompanyPrefix(prefix=prefix, organisation_id=organisation.id))
    db.session.flush()
    audit.record("organisation.prefixes", organisation, None, prefixes=wanted)
    return wanted


@transactional
def assign_gtin(organisation: Organisation, text: str) -> str:
    """Assign one GTIN to the organisation as an exception to the prefixes; its GTIN-14."""
    _manufacturer(organisation)
    try:
        gtin = normalize_gtin(text)
    except IdentifierError as exc:
        raise PrefixError(str(exc)) from None
    model = db.session.get(ModelGtin, gtin)
    if model is not None and model.product_model.organisation_id != organisation.id:
        raise PrefixError(
            f"GTIN {gtin} is already on a model of {model.product_model.organisation.name}; "
            "it stays theirs"
        )
    row = db.session.get(GtinAssignment, gtin)
    if row is None:
        db.session.add(GtinAssignment(gtin=gtin, organisation_id=organisation.id))
    else:
        row.organisation_id = organisation.id
    db.session.flush()
    audit.record("gtin.assign", organisation, None, gtin=gtin)
    return gtin


@transactional
def unassign_gtin(text: str) -> bool:
    """Remove the exception for a GTIN; whether there was one. Its models stay as they are."""
    try:
        gtin = normalize_gtin(text)
    except IdentifierError as exc:
        raise PrefixError(str(exc)) from None
    row = db.session.get(GtinAssignment, gtin)
    if row is None:
        return False
    audit.record("gtin.unassign", row.organisation, None, gtin=gtin)
    db.session.delete(row)
    return True


def publish_problem(organisation: Organisation, gtin: str) -> str | None:
    """Why the organisation may not publish for this GTIN-14 (not yet on any model), or None."""
    assigned = db.session.get(GtinAssignment, gtin)
    if assigned is not None:
        if assigned.organisation_id == organisation.id:
            return None
        return f"GTIN {gtin} is assigned to another organisation"
    digits = gtin13_form(gtin)
    rows = db.session.scalars(
        select(CompanyPrefix).where(
            CompanyPrefix.prefix.in_([digits[:n] for n in range(MIN_PREFIX_DIGITS, 13)])
        )
    ).all()
    if any(row.organisation_id == organisation.id for row in rows):
        return None
    if rows:
        return f"GTIN {gtin} lies under another organisation's GS1 company prefix"
    own = prefixes_of(organisation)
    if not own:
        return (
            f"GTIN {gtin} is new, and {organisation.name} has no GS1 company prefix yet; "
            "ask the coordinator to add your prefixes or assign this GTIN"
        )
    return (
        f"GTIN {gtin} is not under your GS1 company prefixes ({', '.join(own)}); "
        "ask the coordinator to assign it if it is yours"
    )
