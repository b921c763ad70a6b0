"""A protocol version as schema.org HowTo JSON-LD, one HowTo per task."""

from __future__ import annotations

from typing import Any

from maintenance.i18n import localized
from maintenance.models import ProtocolVersion


def howto_jsonld(version: ProtocolVersion, language: str, url: str) -> dict[str, Any]:
    """An ItemList of HowTo items (one per task) in the given language."""
    items = []
    for position, task in enumerate(version.tasks, start=1):
        spec = task.spec
        howto: dict[str, Any] = {
            "@type": "HowTo",
            "name": localized(spec["title"], language),
            "description": localized(spec.get("why"), language),
            "step": [
                {"@type": "HowToStep", "position": n, "text": localized(step, language)}
                for n, step in enumerate(spec.get("steps", []), start=1)
            ],
        }
        if spec.get("duration"):
            howto["totalTime"] = spec["duration"]
        if spec.get("supplies"):
            howto["supply"] = [
                {"@type": "HowToSupply", "name": localized(s, language)} for s in spec["supplies"]
            ]
        if spec.get("tools"):
            howto["tool"] = [
                {"@type": "HowToTool", "name": localized(t, language)} for t in spec["tools"]
            ]
        items.append({"@type": "ListItem", "position": position, "item": howto})
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": localized(version.title, language),
        "url": url,
        "inLanguage": language,
        "itemListElement": items,
    }
