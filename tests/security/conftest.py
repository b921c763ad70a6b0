"""API tokens for the security tests: a retailer's with a known model, and a manufacturer's."""

from __future__ import annotations

import pytest

from tests.builders import make_model


@pytest.fixture
def shop(db: object, make_user: object, token_for: object) -> dict[str, str]:
    """A retailer's API token headers, with one known model."""
    make_model()
    return token_for(make_user(role="retailer", organisation="Shop A"))


@pytest.fixture
def maker(db: object, make_user: object, token_for: object) -> dict[str, str]:
    """A manufacturer's API token headers."""
    return token_for(make_user(role="manufacturer", organisation="Maker A"))
