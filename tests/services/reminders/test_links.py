"""Link tokens: the cheaper signing path gives exactly what itsdangerous and hmac give."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from maintenance.services.reminders.links import _serializer_for, payload_json

_values = st.one_of(
    st.integers(),
    st.text(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
)


@given(st.dictionaries(st.text(), _values, max_size=4))
def test_payload_json_is_itsdangerous_compact_json(payload: dict[str, Any]) -> None:
    assert payload_json(payload) == json.dumps(payload, separators=(",", ":"))


@given(st.dictionaries(st.integers(), st.integers(), max_size=3))
def test_payload_json_with_other_keys_is_json_too(payload: dict[int, int]) -> None:
    assert payload_json(payload) == json.dumps(payload, separators=(",", ":"))  # type: ignore[arg-type]


@given(st.integers(0, 2**40), st.integers(0, 2**40), st.text(max_size=5))
def test_tokens_are_the_ones_itsdangerous_makes(reminder: int, schedule: int, salt: str) -> None:
    payload = {"r": reminder, "s": schedule}
    ours = _serializer_for("a secret", f"reminder-{salt}")
    reference = URLSafeTimedSerializer("a secret", salt=f"reminder-{salt}")

    token = ours.dumps(payload)

    # If a second ticked over between the two, our next token has the reference's timestamp.
    assert token in {reference.dumps(payload), ours.dumps(payload)}
    assert reference.loads(token) == payload
