"""The fixed category vocabulary and the JSON Schema, read once from the protocols/ folder."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml

from maintenance.config import ROOT

PROTOCOLS_DIR = ROOT / "protocols"
CATEGORIES_PATH = PROTOCOLS_DIR / "categories.yaml"
SCHEMA_PATH = PROTOCOLS_DIR / "schema" / "protocol-v1.json"
LIBRARY_DIR = PROTOCOLS_DIR / "library"
# The format name and version every protocol declares.
FORMAT = "maintenance-protocol/1"


@cache
def load_categories() -> dict[str, Any]:
    """Categories as {id: {title: {nl, en}, tasks: {task_id: {nl, en}}}}; shared, do not mutate."""
    with CATEGORIES_PATH.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema of maintenance-protocol/1; shared, do not mutate."""
    with SCHEMA_PATH.open(encoding="utf-8") as file:
        return json.load(file)


def uniform_task_ids(category: str) -> list[str]:
    """The uniform task ids of a category, in the vocabulary's order (empty when unknown)."""
    entry = load_categories().get(category) or {}
    return list(entry.get("tasks") or {})
