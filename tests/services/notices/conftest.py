"""Notice tests read messages in English (the source language) unless a test asks for Dutch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale


@pytest.fixture
def ctx(ctx: Flask) -> Iterator[Flask]:
    """The app context, with English as the language of errors and texts."""
    with force_locale("en"):
        yield ctx
