"""Request ids: taken from X-Request-ID or made, returned in the response, on every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from maintenance.logging import make_formatter


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the service logs during the test, formatted as LOG_FORMAT=json writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_incoming_request_id_is_returned_and_logged(
    client: FlaskClient, json_log: io.StringIO
) -> None:
    response = client.get("/", headers={"X-Request-ID": "proxy-7f3a.42"})
    assert response.headers["X-Request-ID"] == "proxy-7f3a.42"
    [line] = [line for line in lines(json_log) if line.get("request_id") == "proxy-7f3a.42"]
    assert line["logger"] == "maintenance.requests"
    assert line["level"] == "INFO"
    assert line["message"] == f"GET / {response.status_code}"
    assert line["route"] == "/"
    assert line["status"] == response.status_code


def test_a_request_without_an_id_gets_a_fresh_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.parametrize("hostile", ["two words", "x" * 200, "a\u00e9b", "<script>"])
def test_an_unusable_incoming_id_is_replaced(client: FlaskClient, hostile: str) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
    assert returned != hostile and len(returned) == 32


def test_lines_outside_requests_have_no_request_id(json_log: io.StringIO) -> None:
    logging.getLogger("maintenance.test").warning("outside %s", "any request", extra={"n": 3})
    [line] = lines(json_log)
    assert line == line | {"message": "outside any request", "level": "WARNING", "n": 3}
    assert "request_id" not in line


def test_errors_carry_their_traceback_in_one_json_line(json_log: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("maintenance.test").exception("failed")
    [line] = lines(json_log)
    assert line["message"] == "failed"
    assert "RuntimeError: boom" in line["exception"]


def test_log_format_setting_is_checked(app: Flask) -> None:
    assert (
        make_formatter("text")
        .format(logging.LogRecord("x", logging.INFO, "", 0, "hello", None, None))
        .endswith("INFO x [-]: hello")
    )
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or text"):
        make_formatter("xml")
