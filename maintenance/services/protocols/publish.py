"""Publishing a validated protocol: a new immutable version, never a rewrite of an old one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import (
    ModelGtin,
    Organisation,
    ProductModel,
    Protocol,
    ProtocolVersion,
    Task,
    User,
)
from maintenance.services import audit
from maintenance.services.catalog import find_default_protocol
from maintenance.services.gs1_prefixes import publish_problem
from maintenance.services.identifiers import normalize_gtin
from maintenance.services.permissions import can_publish_protocol
from maintenance.services.protocols.document import ProtocolDocument
from maintenance.services.protocols.errors import ProtocolError
from maintenance.services.schedules.replan import queue_replan


class PublishRefused(PermissionError):
    """The publisher may not publish this protocol; the message says why.

    `errors` locate the refusal in the file when it concerns a value in it (a GTIN).
    """

    def __init__(self, message: str, errors: list[ProtocolError] | None = None) -> None:
        self.errors = errors or []
        self.summary = message
        super().__init__("\n".join(str(error) for error in self.errors) or message)


class PublishConflict(ValueError):
    """The protocol cannot be published as given; the message says why."""


@dataclass(frozen=True)
class Published:
    """The version in force after publishing, and whether it is new."""

    version: ProtocolVersion
    created: bool


def _publishing_organisation(
    document: ProtocolDocument, user: User | None, organisation: Organisation | None
) -> Organisation | None:
    """Manufacturers publish for themselves; admins and the CLI name one, or the library."""
    if user is not None and not user.is_admin:
        return user.organisation
    if organisation is not None:
        return organisation
    if document.applies_to is None:
        return None  # a library category default
    name = document.applies_to.manufacturer
    found = db.session.scalar(
        select(Organisation).where(Organisation.name == name, Organisation.kind == "manufacturer")
    )
    if found is None:
        raise PublishConflict(f"applies_to.manufacturer: no manufacturer named {name!r}")
    return found


def refused_gtins(document: ProtocolDocument, organisation: Organisation) -> list[ProtocolError]:
    """Every GTIN of the document the organisation may not publish for, located in the file.

    A GTIN on the organisation's own model stays its own; one on another's model never moves;
    a new one must be the organisation's by its GS1 company prefixes or an admin's assignment
    (maintenance.services.gs1_prefixes).
    """
    errors: list[ProtocolError] = []
    models = document.applies_to.models if document.applies_to else ()
    for index, ref in enumerate(models):
        gtin = normalize_gtin(ref.gtin)
        row = db.session.get(ModelGtin, gtin)
        if row is None:
            problem = publish_problem(organisation, gtin)
        elif row.product_model.organisation_id != organisation.id:
            problem = f"GTIN {gtin} belongs to another manufacturer's model"
        else:
            problem = None
        if problem is not None:
            errors.append(document.error_at(("applies_to", "models", index, "gtin"), problem))
    return errors


def _models_for(document: ProtocolDocument, organisation: Organisation) -> list[ProductModel]:
    """The models the document applies to, created under the organisation when new."""
    assert document.applies_to is not None
    refused = refused_gtins(document, organisation)
    if refused:
        raise PublishRefused("you may not publish a protocol for these GTINs", refused)
    models: list[ProductModel] = []
    for index, ref in enumerate(document.applies_to.models):
        gtin = normalize_gtin(ref.gtin)
        row = db.session.get(ModelGtin, gtin)
        if row is None:
            model = ProductModel(
                organisation=organisation,
                brand=document.applies_to.manufacturer,
                name=ref.name,
                category=document.category,
            )
            model.gtins.append(ModelGtin(gtin=gtin))
            db.session.add(model)
        else:
            model = row.product_model
            if model.category != document.category:
                where = ("applies_to", "models", index, "gtin")
                message = f"GTIN {gtin} is a {model.category}, not a {document.category}"
                raise PublishConflict(str(document.error_at(where, message)))
        if model not in models:
            models.append(model)
    db.session.flush()
    return models


def _protocol_of(models: list[ProductModel], organisation: Organisation, category: str) -> Protocol:
    """The one protocol these models follow now, or a new one for them."""
    ids = {m.protocol_id for m in models if m.protocol_id is not None}
    if len(ids) > 1:
        raise PublishConflict(
            "these models follow different protocols now; publish one file per protocol"
        )
    if ids:
        return db.session.get_one(Protocol, ids.pop())
    scope = f"gtin:{models[0].gtins[0].gtin}"
    protocol = Protocol(organisation=organisation, category=category, scope=scope)
    db.session.add(protocol)
    return protocol


@transactional
def publish_protocol(
    document: ProtocolDocument,
    user: User | None = None,
    organisation: Organisation | None = None,
) -> Published:
    """Store a document as the next version of its protocol; equal content adds nothing."""
    owner = _publishing_organisation(document, user, organisation)
    if document.applies_to is not None and owner is None:
        raise PublishConflict("a protocol for specific models needs a manufacturer")
    if user is not None and not can_publish_protocol(user, None, owner.id if owner else None):
        raise PublishRefused("you may only publish protocols of your own organisation")

    if document.applies_to is None:
        owner_id = owner.id if owner else None
        protocol = find_default_protocol(document.category, owner_id)
        if protocol is None:
            protocol = Protocol(organisation=owner, category=document.category, scope="default")
            db.session.add(protocol)
        models: list[ProductModel] = []
    else:
        assert owner is not None
        models = _models_for(document, owner)
        protocol = _protocol_of(models, owner, document.category)
    db.session.flush()

    if protocol.versions and protocol.current.content_hash == document.content_hash:
        return Published(protocol.current, created=False)

    version = ProtocolVersion(
        protocol=protocol,
        number=len(protocol.versions) + 1,
        document=document.raw,
        content_hash=document.content_hash,
        published_by=user,
    )
    for position, spec in enumerate(document.tasks):
        version.tasks.append(
            Task(
                key=spec.id,
                position=position,
                every=spec.every,
                rrule=spec.rrule,
                first_due=spec.first_due,
                difficulty=spec.difficulty,
                spec=document.raw["tasks"][position],
            )
        )
    db.session.add(version)
    for model in models:
        model.protocol_id = protocol.id
    db.session.flush()
    audit.record("protocol.publish", version, user, protocol=protocol.id, number=version.number)
    # Units already under maintenance follow the new version from now on (the scheduler
    # re-plans them, see schedules.replan_queued); history stays put.
    queue_replan(protocol)
    return Published(version, created=True)
