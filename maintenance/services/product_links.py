"""A manufacturer's links for a model: manual, supplies shop, product passport, warranty, support.

Each is a GS1 Web Vocabulary link type, so the resolver's linkset offers it under that name.
A protocol document may carry them (its `links` section: for the models it covers, or for a
category default's models); a link set through the API for one model overrides the document's
link of the same type. Supplies in a task may carry a GTIN: a shop's URL pattern with `{gtin}`
turns each into a link to that consumable in the shop that sold the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, select

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.models import Organisation, ProductLink, ProductModel, Unit
from maintenance.services import audit

# GS1 link types (https://gs1.org/voc/<type>); registerProduct is GS1's type for registering
# ownership "including for warranty purposes".
LINK_TYPES = ("instructions", "purchaseSuppliesOrAccessories", "dpp", "registerProduct", "support")
MAX_URL_LENGTH = 2000
GTIN_PLACEHOLDER = "{gtin}"


def link_title(link_type: str) -> str:
    """What a manufacturer's link is, for a person (link titles in the linkset, the unit page)."""
    titles = {
        "instructions": _("User manual"),
        "purchaseSuppliesOrAccessories": _("Spare parts and supplies"),
        "dpp": _("Digital product passport"),
        "registerProduct": _("Register for the warranty"),
        "support": _("Support from the manufacturer"),
    }
    return titles[link_type]


def media_type(url: str) -> str:
    """The media type a link most likely has: a manual is often a PDF."""
    return "application/pdf" if urlsplit(url).path.lower().endswith(".pdf") else "text/html"


class LinksInvalid(ValueError):
    """Links that cannot be saved; `problems` maps each link type (or field) to why."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems.items()))
        self.problems = problems


def url_problem(url: Any, placeholder: bool = False) -> str | None:
    """Why a URL cannot be a product link (https, a host, printable, not too long), or None."""
    if not isinstance(url, str) or not url:
        return "must be a URL"
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    if not url.isprintable() or " " in url:
        return "contains spaces or control characters"
    parts = urlsplit(url.replace(GTIN_PLACEHOLDER, "0") if placeholder else url)
    if parts.scheme != "https":
        return "must start with https://"
    if not parts.hostname:
        return "has no host name"
    return None


def links_problems(links: Mapping[str, Any]) -> dict[str, str]:
    """Each unknown link type or bad URL in a {type: url} mapping, with why."""
    problems = {}
    for key, url in links.items():
        if key not in LINK_TYPES:
            problems[key] = f"unknown link type; the types are {', '.join(LINK_TYPES)}"
        elif url is not None and (problem := url_problem(url)):
            problems[key] = problem
    return problems


def document_links(document: Mapping[str, Any] | None) -> dict[str, str]:
    """The links a protocol document gives, by link type (an `x-` extension is left out)."""
    links = (document or {}).get("links") or {}
    return {key: links[key] for key in LINK_TYPES if isinstance(links.get(key), str)}


def has_own_links(model_id: Any) -> ColumnElement[bool]:
    """SQL: whether the model has links of its own (the scan query asks, so that a model
    without any costs no query of its own)."""
    return exists().where(ProductLink.product_model_id == model_id)


def model_links(
    model_id: int, from_document: Mapping[str, str], has_own: bool = True
) -> dict[str, str]:
    """The model's links: its own (set through the API) over those of its protocol document.

    has_own=False (known from the scan query) skips looking for its own.
    """
    if not has_own:
        return {key: from_document[key] for key in LINK_TYPES if key in from_document}
    own = db.session.execute(
        select(ProductLink.link_type, ProductLink.url).where(
            ProductLink.product_model_id == model_id
        )
    )
    merged = {**from_document, **{key: url for key, url in own}}
    return {key: merged[key] for key in LINK_TYPES if key in merged}


@transactional
def set_model_links(model: ProductModel, links: Mapping[str, str | None]) -> None:
    """Set (a URL) or remove (None) the model's own links; the others stay as they are."""
    problems = links_problems(links)
    if problems:
        raise LinksInvalid(problems)
    rows = {
        row.link_type: row
        for row in db.session.scalars(
            select(ProductLink).where(ProductLink.product_model_id == model.id)
        )
    }
    for key, url in links.items():
        row = rows.get(key)
        if url is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(ProductLink(product_model_id=model.id, link_type=key, url=url))
        else:
            row.url = url
    audit.record("model.links", model, types=sorted(links))


@transactional
def set_supplies_pattern(shop: Organisation, pattern: str | None) -> None:
    """Save (or clear, with None or "") the shop's URL pattern for consumables."""
    pattern = (pattern or "").strip() or None
    if pattern is not None:
        problem = url_problem(pattern, placeholder=True)
        if problem is None and GTIN_PLACEHOLDER not in pattern:
            problem = f"must contain {GTIN_PLACEHOLDER} where the consumable's GTIN goes"
        if problem is not None:
            raise LinksInvalid({"supplies_url_pattern": problem})
    shop.supplies_url_pattern = pattern
    audit.record("shop.supplies_pattern", shop)


@dataclass(frozen=True)
class SupplyLink:
    """A consumable a task needs, linked in the selling shop."""

    name: Mapping[str, str]
    href: str


def supply_links(unit_id: int | None, task_specs: list[Mapping[str, Any]]) -> list[SupplyLink]:
    """The tasks' supplies with a GTIN, linked in the shop that sold the unit (if it has a
    pattern); one query, and only when some supply has a GTIN."""
    supplies = {
        supply["gtin"]: supply
        for spec in task_specs
        for supply in spec.get("supplies") or ()
        if isinstance(supply, dict) and isinstance(supply.get("gtin"), str)
    }
    if unit_id is None or not supplies:
        return []
    pattern = db.session.scalar(
        select(Organisation.supplies_url_pattern)
        .join(Unit, Unit.retailer_id == Organisation.id)
        .where(Unit.id == unit_id)
    )
    if not pattern:
        return []
    return [
        SupplyLink(
            name={k: v for k, v in supply.items() if k != "gtin"},
            href=pattern.replace(GTIN_PLACEHOLDER, gtin.zfill(14)),
        )
        for gtin, supply in supplies.items()
    ]
