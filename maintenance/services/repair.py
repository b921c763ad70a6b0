"""Who can help when an appliance is still not right: the repair options for a unit or a model."""

# repair_options() asks each provider in PROVIDERS for the options it knows. Today those are the
# shop that sold the unit, the approved service partners and repair cafés covering the owner's
# postcode (when given), and the manufacturer (with the service contact its protocol names). A
# provider is a function from a RepairSubject to RepairOptions, each option with its own `kind`.

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from maintenance.extensions import db
from maintenance.models import ProductModel, ProtocolVersion, Unit
from maintenance.services.catalog import current_version_for_model, find_model_by_gtin
from maintenance.services.identifiers import DigitalLink
from maintenance.services.partners.matching import partners_covering
from maintenance.services.partners.profiles import Postcode


@dataclass(frozen=True)
class RepairOption:
    """One way to get the appliance repaired, as the owner is offered it."""

    kind: str  # "shop", "partner", "repair-cafe" or "manufacturer"
    name: str
    url: str | None = None  # an https page of the service, when known
    phone: str | None = None
    opening_days: str | None = None  # a repair café's
    free: bool = False


@dataclass(frozen=True)
class RepairSubject:
    """What repair options are asked for: a model, the unit when one is named, what is wrong."""

    model: ProductModel
    unit: Unit | None
    version: ProtocolVersion | None  # the protocol version in force for the model
    symptom_id: str | None = None
    postcode: Postcode | None = None  # where the owner is, to find partners nearby

    @property
    def symptom(self) -> Mapping[str, Any] | None:
        """The symptom from the version's troubleshooting section, if it still has it."""
        if self.version is None or self.symptom_id is None:
            return None
        entries = self.version.document.get("troubleshooting", ())
        return next((entry for entry in entries if entry["id"] == self.symptom_id), None)


Provider = Callable[[RepairSubject], Iterable[RepairOption]]


class SubjectNotFound(LookupError):
    """The code names no known model, or a unit code that this service never issued."""


def find_subject(
    link: DigitalLink, symptom_id: str | None = None, postcode: Postcode | None = None
) -> RepairSubject:
    """The model, unit and version in force a Digital Link names; raise SubjectNotFound."""
    model = find_model_by_gtin(link.gtin)
    if model is None:
        raise SubjectNotFound(link.gtin)
    unit = None
    if link.serial is not None or link.unit_code is not None:
        named = (
            Unit.serial == link.serial
            if link.serial is not None
            else Unit.unit_code == link.unit_code
        )
        unit = db.session.scalar(select(Unit).where(Unit.gtin == link.gtin, named))
        if link.unit_code is not None and unit is None:
            raise SubjectNotFound(link.unit_code)  # unit codes are only issued by this service
        if unit is not None and unit.voided_at is not None:
            unit = None  # a withdrawn label names no appliance; the model's options still apply
    return RepairSubject(model, unit, current_version_for_model(model), symptom_id, postcode)


def shop_that_sold_it(subject: RepairSubject) -> Iterable[RepairOption]:
    """The retailer that registered the sale: the first address, certainly under guarantee."""
    if subject.unit is not None and subject.unit.retailer is not None:
        yield RepairOption("shop", subject.unit.retailer.name)


def service_partners(subject: RepairSubject) -> Iterable[RepairOption]:
    """Approved partners and repair cafés covering the owner's postcode for the category."""
    if subject.postcode is None:
        return
    retailer_id = subject.unit.retailer_id if subject.unit is not None else None
    for match in partners_covering(subject.model, retailer_id, None, subject.postcode):
        profile = match.profile
        yield RepairOption(
            "repair-cafe" if profile.repair_cafe else "partner",
            match.name,
            url=profile.booking_url,
            phone=profile.phone,
            opening_days=profile.opening_days,
            free=profile.free,
        )


def manufacturer_service(subject: RepairSubject) -> Iterable[RepairOption]:
    """The brand, with the service contact of its own protocol when that names one."""
    contact: Mapping[str, str] = {}
    version = subject.version
    # Only the model's own manufacturer speaks for it: the library's defaults name no contact.
    if version is not None and version.protocol.organisation_id == subject.model.organisation_id:
        contact = version.document.get("service") or {}
    yield RepairOption(
        "manufacturer", subject.model.brand, url=contact.get("url"), phone=contact.get("phone")
    )


PROVIDERS: list[Provider] = [shop_that_sold_it, service_partners, manufacturer_service]


def repair_options(
    subject: RepairSubject, providers: Iterable[Provider] | None = None
) -> list[RepairOption]:
    """Every repair option the providers know for this subject, in the providers' order."""
    chosen = PROVIDERS if providers is None else providers
    return [option for provider in chosen for option in provider(subject)]
