"""Link tokens: the serializer that writes them directly gives exactly what itsdangerous gives."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from maintenance.services.reminders.links import _serializer_for, payload_json

# A moment in the middle of a second, so both serializers read the same timestamp.
FROZEN = 1_741_600_000.5
ITSDANGEROUS_JSON = URLSafeTimedSerializer("a secret").serializer

_values = st.one_of(
    st.integers(),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
)


@given(st.dictionaries(st.text(max_size=8), _values, max_size=4))
def test_payload_json_is_itsdangerous_compact_json(payload: dict[str, Any]) -> None:
    assert payload_json(payload) == ITSDANGEROUS_JSON.dumps(payload)


@given(st.dictionaries(st.integers(), st.integers(), max_size=3))
def test_payload_json_with_other_keys_is_its_json_too(payload: dict[int, int]) -> None:
    assert payload_json(payload) == ITSDANGEROUS_JSON.dumps(payload)  # type: ignore[arg-type]


@given(st.dictionaries(st.text(max_size=8), _values, max_size=4), st.text(max_size=5))
def test_tokens_are_the_ones_itsdangerous_makes(payload: dict[str, Any], salt: str) -> None:
    ours = _serializer_for("a secret", f"reminder-{salt}")
    reference = URLSafeTimedSerializer("a secret", salt=f"reminder-{salt}")

    with patch("itsdangerous.timed.time.time", lambda: FROZEN):
        token = ours.dumps(payload)
        expected = reference.dumps(payload)
        assert reference.loads(token) == payload

    # itsdangerous compresses a payload when that makes it shorter (a leading "."); ours never
    # does, and the token reads back the same either way.
    if not expected.startswith("."):
        assert token == expected
