"""Log lines as text or JSON, each carrying the id of the request it belongs to.

The request id comes from the proxy's X-Request-ID header (so one id follows a request through
proxy, app and logs) or is made here; it goes back in the response's X-Request-ID header.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, g, has_request_context, request

bp = Blueprint("request_ids", __name__)

HEADER = "X-Request-ID"
# An incoming id is echoed into logs and headers: accept only short, plain tokens.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Probes and scrapes come every few seconds; their request lines would drown everything else.
QUIET_ENDPOINTS = {"health.healthz", "health.readyz", "metrics.metrics", "static"}
request_logger = logging.getLogger("maintenance.requests")

# Attributes every LogRecord has; anything else on a record was passed with `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def _install_record_factory() -> None:
    """Give every log record a request_id attribute, whichever handler ends up writing it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record, with its traceback as one string when there is one."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT: "json" for log collectors, "text" for people."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})
    raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")


def configure(app: Flask) -> None:
    """Log to stderr at LOG_LEVEL in LOG_FORMAT, with request ids on every line."""
    _install_record_factory()
    formatter = make_formatter(app.config.get("LOG_FORMAT", "text"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        # Test runners attach their own capturing handlers; leave their format alone.
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(formatter)
    root.setLevel(app.config["LOG_LEVEL"])
    # Alembic announces each of its plugins at INFO whenever the migrations folder is read.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@bp.before_app_request
def _take_request_id() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if ACCEPTED_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


@bp.after_app_request
def _log_request(response: Response) -> Response:
    # The request object itself, not its proxy: this runs on every request and reads it often.
    current = request._get_current_object()  # type: ignore[attr-defined]
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    level = logging.DEBUG if current.endpoint in QUIET_ENDPOINTS else logging.INFO
    if not request_logger.isEnabledFor(level):
        return response
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    method, path, status = current.method, current.path, response.status_code
    request_logger.log(
        level,
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "route": current.url_rule.rule if current.url_rule else None,
            "status": status,
            "duration_ms": duration_ms,
        },
    )
    return response
