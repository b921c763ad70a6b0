"""Request ids: taken from X-Request-ID or made, returned in the response, on every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from maintenance.ops.logs import make_formatter


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


def test_extras_cannot_overwrite_the_fixed_fields(json_log: io.StringIO) -> None:
    logging.getLogger("maintenance.test").warning(
        "hello", extra={"time": "yesterday", "level": "DEBUG", "logger": "fake", "n": 1}
    )
    [line] = lines(json_log)
    assert line["level"] == "WARNING"
    assert line["logger"] == "maintenance.test"
    assert line["time"] != "yesterday" and line["time"].endswith("+00:00")
    assert line["extra_time"] == "yesterday"
    assert line["extra_level"] == "DEBUG"
    assert line["extra_logger"] == "fake"
    assert line["n"] == 1


def test_a_line_whose_extra_has_a_non_string_key_is_kept(json_log: io.StringIO) -> None:
    logging.getLogger("maintenance.test").warning("kept", extra={7: "seven", ("a", 1): "pair"})
    [line] = lines(json_log)
    assert line["message"] == "kept"
    assert line["7"] == "seven"
    assert line["('a', 1)"] == "pair"


def test_a_line_whose_extra_cannot_be_serialised_is_kept(json_log: io.StringIO) -> None:
    loop: list[object] = []
    loop.append(loop)
    logging.getLogger("maintenance.test").warning("kept", extra={"loop": loop})
    [line] = lines(json_log)
    assert line["message"] == "kept"
    assert line["loop"] == "[[...]]"


def test_stack_info_is_kept(json_log: io.StringIO) -> None:
    logging.getLogger("maintenance.test").warning("where", stack_info=True)
    [line] = lines(json_log)
    assert line["stack"].startswith("Stack (most recent call last):")
    assert "test_stack_info_is_kept" in line["stack"]


# What a signed link's token looks like; whatever the route does with it, no log may show it.
TOKEN = "eyJvIjo0Mn0.Z3x9Qw.s3cr3t-Signature_42"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/a/done/{TOKEN}", "/a/done/<token>"),
        (f"/a/snooze/{TOKEN}", "/a/snooze/<token>"),
        (f"/a/steps/{TOKEN}", "/a/steps/<token>"),
        (f"/a/unsubscribe/{TOKEN}", "/a/unsubscribe/<token>"),
        (f"/r/{TOKEN}", "/r/<token>"),
        (f"/me/confirm/{TOKEN}", "/me/confirm/<token>"),
        (f"/calendar/{TOKEN}.ics", "/calendar/<token>"),
        # No route matches a mangled link, but its path still holds the token.
        (f"/calendar/{TOKEN}.ics/x", "/calendar/<token>"),
    ],
)
def test_the_request_log_never_shows_a_token(
    client: FlaskClient, json_log: io.StringIO, path: str, shown: str
) -> None:
    status = client.get(path).status_code
    assert TOKEN not in json_log.getvalue()
    [line] = [line for line in lines(json_log) if line["logger"] == "maintenance.requests"]
    assert line["path"] == shown
    assert line["message"] == f"GET {shown} {status}"


def test_the_error_log_never_shows_a_token(
    make_app: Callable[..., Flask], json_log: io.StringIO
) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False, LOG_FORMAT="json")

    def broken(token: str) -> str:
        raise RuntimeError("the view failed")

    app.add_url_rule("/a/broken/<token>", view_func=broken)
    assert app.test_client().get(f"/a/broken/{TOKEN}").status_code == 500
    assert TOKEN not in json_log.getvalue()
    [error] = [line for line in lines(json_log) if line["level"] == "ERROR"]
    assert error["message"] == "Exception on /a/broken/<token> [GET]"
    assert "RuntimeError: the view failed" in error["exception"]


def test_the_development_server_leaves_request_lines_to_the_app() -> None:
    from werkzeug.serving import WSGIRequestHandler

    from maintenance.ops.logs import QuietRequestHandler

    # Werkzeug's own line would print the raw path; the app's line hides the token.
    assert issubclass(QuietRequestHandler, WSGIRequestHandler)
    assert QuietRequestHandler.log_request is not WSGIRequestHandler.log_request
