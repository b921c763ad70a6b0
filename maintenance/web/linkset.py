"""The links a scanned GTIN or unit offers: GS1 link types, their targets, and the linkset."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, jsonify, make_response, request
from flask_babel import gettext as _

from maintenance.i18n import LANGUAGES
from maintenance.services.catalog import VersionInfo
from maintenance.services.identifiers import DigitalLink
from maintenance.services.product_links import link_title, media_type, model_links
from maintenance.services.units.find import ScannedModel, ScannedUnit
from maintenance.web.notice_pages import recall_link

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
# Link types every GTIN offers (and so every unit of it), then those only a unit offers.
MODEL_LINK_TYPES = ("defaultLink", "serviceInfo", "instructions", "support", "recallStatus")
UNIT_LINK_TYPES = (*MODEL_LINK_TYPES, "registerProduct")
# Link types only a manufacturer's links give (services/product_links.py).
MAKER_LINK_TYPES = ("purchaseSuppliesOrAccessories", "dpp")
LINKSET_LINK_TYPES = ("linkset", "all")  # "all" is the name older GS1 resolvers used


@dataclass(frozen=True)
class Link:
    """One typed link of a product or unit, as it appears in a linkset."""

    href: str
    title: str
    media_type: str = "text/html"

    def as_target(self) -> dict[str, object]:
        """The RFC 9264 target object."""
        return {
            "href": self.href,
            "title": self.title,
            "hreflang": list(LANGUAGES),
            "type": self.media_type,
        }


@dataclass(frozen=True)
class Resolved:
    """What a Digital Link path points at: a model, a unit when the path names one, the version."""

    link: DigitalLink
    model: ScannedModel
    unit: ScannedUnit | None
    version: VersionInfo | None  # the protocol version in force for the model
    unit_has_records: bool = False  # whether the unit has any task schedule or log entry

    @property
    def is_unit_path(self) -> bool:
        """Whether the path has a serial or unit code (even one no shop registered)."""
        return self.link.serial is not None or self.link.unit_code is not None


def base_url() -> str:
    return current_app.config["BASE_URL"]


def links_for(resolved: Resolved) -> dict[str, Link]:
    """The link types this product or unit offers, by GS1 name, with their targets."""
    model = resolved.model
    page = resolved.link.uri(base_url())
    name = f"{model.brand} {model.name}"
    links = {
        "defaultLink": Link(page, _("Maintenance of the %(name)s", name=name)),
        "support": Link(f"{page}#support", _("Questions about the %(name)s", name=name)),
    }
    if resolved.version is not None:
        protocol = f"{base_url()}/protocols/v/{resolved.version.id}"
        links["serviceInfo"] = Link(protocol, _("Maintenance protocol: what to do and when"))
        links["instructions"] = Link(
            protocol, _("Step-by-step maintenance instructions for the %(name)s", name=name)
        )
    recall = recall_link(
        resolved.link.gtin, resolved.link.serial, resolved.unit, resolved.is_unit_path
    )
    if recall is not None:  # only while a recall or service notice is open (notice_pages.py)
        links["recallStatus"] = Link(
            recall, _("Safety recall or notice for the %(name)s", name=name)
        )
    if resolved.is_unit_path:
        links["registerProduct"] = Link(
            f"{page}#register", _("Get maintenance reminders for this appliance")
        )
    order = UNIT_LINK_TYPES if resolved.is_unit_path else MODEL_LINK_TYPES
    return {key: links[key] for key in order if key in links}


def maker_links(resolved: Resolved) -> dict[str, Link]:
    """The manufacturer's own links for the model (manual, shop, passport, warranty, support)."""
    from_document = resolved.version.links if resolved.version is not None else {}
    return {
        key: Link(url, link_title(key), media_type(url))
        for key, url in model_links(
            resolved.model.id, from_document, resolved.model.has_links
        ).items()
    }


def linkset(resolved: Resolved) -> dict[str, object]:
    """The RFC 9264 linkset document (GS1 flavour: link relation types as full URIs).

    A link type this service and the manufacturer both offer lists ours first, then theirs.
    """
    model = resolved.model
    context: dict[str, object] = {
        "anchor": resolved.link.uri(base_url()),
        "itemDescription": f"{model.brand} {model.name}",
    }
    targets: dict[str, list[dict[str, object]]] = {}
    for links in (links_for(resolved), maker_links(resolved)):
        for key, link in links.items():
            targets.setdefault(GS1_VOC + key, []).append(link.as_target())
    context.update(targets)
    return {"linkset": [context]}


def linkset_response(resolved: Resolved) -> Response:
    """The linkset as application/linkset+json (or application/json when that was asked)."""
    response = make_response(jsonify(linkset(resolved)))
    asked_json = request.accept_mimetypes.best_match([LINKSET_TYPE, "application/json"])
    if request.args.get("linkType") in LINKSET_LINK_TYPES or asked_json != "application/json":
        response.mimetype = LINKSET_TYPE
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, for other resolvers
    return response
