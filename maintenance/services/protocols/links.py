"""Checks of a protocol's `links` section and of supplies' GTINs that the schema cannot make."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from maintenance.services.identifiers import gtin_check_digit
from maintenance.services.product_links import document_links, url_problem
from maintenance.services.protocols.errors import Path


def link_problems(document: Any) -> Iterator[tuple[Path, str]]:
    """(path, message) for every link that is no usable https URL and every supply GTIN whose
    check digit is wrong; values of the wrong type the schema reports."""
    if not isinstance(document, dict):
        return
    for key, url in document_links(document).items():
        problem = url_problem(url)
        if problem:
            yield ("links", key), problem
    tasks = document.get("tasks")
    for index, task in enumerate(tasks if isinstance(tasks, list) else ()):
        supplies = task.get("supplies") if isinstance(task, dict) else None
        for number, supply in enumerate(supplies if isinstance(supplies, list) else ()):
            gtin = supply.get("gtin") if isinstance(supply, dict) else None
            if not isinstance(gtin, str) or not gtin.isascii() or not gtin.isdigit():
                continue  # the schema reports it
            expected = gtin_check_digit(gtin[:-1]) if len(gtin) in (8, 12, 13, 14) else None
            if expected is not None and expected != int(gtin[-1]):
                path = ("tasks", index, "supplies", number, "gtin")
                yield path, f"{gtin!r} has a wrong check digit: the last digit should be {expected}"
