"""The manufacturer's links and the selling shop's consumables on the unit page, per scan.

They change through the API at any time, so unlike the page's other parts they are not kept
per model and version: no query for a model without links of its own (the scan query tells), one for
a model with some, one more for a unit whose tasks name a supply's GTIN.
"""

from __future__ import annotations

from flask import render_template

from maintenance.services.catalog import VersionInfo
from maintenance.services.product_links import link_title, media_type, model_links, supply_links
from maintenance.services.units.find import ScannedModel

TEMPLATE = "public/_product_links.html"


def links_block(model: ScannedModel, unit_id: int | None, version: VersionInfo | None) -> bytes:
    """The links section's HTML as UTF-8 (empty when there is nothing to link)."""
    from_document = version.links if version is not None else {}
    links = [
        {"href": url, "title": link_title(key), "media_type": media_type(url)}
        for key, url in model_links(model.id, from_document, model.has_links).items()
    ]
    specs = [task.spec for task in version.tasks] if version is not None else []
    supplies = supply_links(unit_id, specs)
    if not links and not supplies:
        return b""
    return render_template(TEMPLATE, links=links, supplies=supplies).encode()
