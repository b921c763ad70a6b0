"""Test data builders with keyword defaults."""

from __future__ import annotations

import json

from maintenance.services.identifiers import gtin_check_digit


def gtin(body: str = "871234599999") -> str:
    """A valid GTIN-14 from a 12-digit body."""
    return f"0{body}{gtin_check_digit(body)}"


def protocol_yaml(
    *,
    category: str = "dishwasher",
    manufacturer: str | None = None,
    models: list[tuple[str, str]] | None = None,
    every: str = "P1M",
    title_en: str = "Dishwasher care",
    task_id: str = "clean-filter",
) -> str:
    """A valid protocol document; with manufacturer and models it applies to those GTINs."""
    document: dict = {
        "format": "maintenance-protocol/1",
        "category": category,
        "title": {"nl": "Onderhoud", "en": title_en},
        "tasks": [
            {
                "id": task_id,
                "title": {"nl": "Filter reinigen", "en": "Clean the filter"},
                "why": {"nl": "Schoner en zuiniger.", "en": "Cleaner and cheaper to run."},
                "every": every,
                "duration": "PT10M",
                "difficulty": "easy",
                "steps": [{"nl": "Haal het filter eruit.", "en": "Take the filter out."}],
            }
        ],
    }
    if manufacturer:
        document["applies_to"] = {
            "manufacturer": manufacturer,
            "models": [{"gtin": g, "name": n} for g, n in (models or [])],
        }
    # JSON is YAML too, and keeps GTINs quoted so their leading zeros survive.
    return json.dumps(document, ensure_ascii=False, indent=2)
