"""Log lines as text or JSON, each carrying the id of the request it belongs to."""

# The request id comes from the proxy's X-Request-ID header (so one id follows a request through
# proxy, app and logs) or is made here; it goes back in the response's X-Request-ID header.

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Request, Response, current_app, g, has_request_context, request
from werkzeug.routing import Map
from werkzeug.serving import WSGIRequestHandler

bp = Blueprint("request_ids", __name__)

HEADER = "X-Request-ID"
# An incoming id is echoed into logs and headers: accept only short, plain tokens.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Probes and scrapes come every few seconds; their request lines would drown everything else.
QUIET_ENDPOINTS = {"health.healthz", "health.readyz", "metrics.metrics", "static"}
request_logger = logging.getLogger("maintenance.requests")

# Route arguments that are secrets (magic-link, calendar, action and unsubscribe tokens): a path
# that carries one opens an account or a calendar, so it never reaches a log line or a label.
SECRET_ARGUMENTS = frozenset({"token"})
REDACTED = "<token>"
_PREFIXES_KEY = "maintenance.ops.logs.token_prefixes"

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


def token_prefixes(url_map: Map) -> tuple[str, ...]:
    """The fixed start of every route whose path carries a secret ("/a/done/", "/calendar/")."""
    prefixes = {
        rule.rule.split("<", 1)[0]
        for rule in url_map.iter_rules()
        if rule.arguments & SECRET_ARGUMENTS
    }
    return tuple(sorted(prefixes, key=len, reverse=True))


def redact_path(path: str, prefixes: tuple[str, ...]) -> str:
    """The path with everything after a token route's fixed start replaced by <token>.

    Also for paths no route matched (a mangled link is still a token), so this looks at the
    prefix only, and hides the rest of the path (an extension, a trailing part) with it.
    """
    if path.startswith(prefixes):
        for prefix in prefixes:
            if path.startswith(prefix):
                return prefix + REDACTED
    return path


def loggable_path(current: Request) -> str:
    """The request's path as logs may show it: every token replaced by <token>."""
    prefixes = current_app.extensions.get(_PREFIXES_KEY)
    if prefixes is None:
        prefixes = current_app.extensions[_PREFIXES_KEY] = token_prefixes(current_app.url_map)
    return redact_path(current.path, prefixes)


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without its request line, which shows the raw path.

    The app logs every request itself (maintenance.requests), with tokens hidden.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: the app's own request line replaces this one."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras.

    The fixed fields always say what the record says: an extra with one of their names is
    written as "extra_<name>" instead of replacing it, so a log collector can trust them.
    """

    FIXED = frozenset({"time", "level", "logger", "message", "request_id", "exception", "stack"})

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record, with its traceback and stack as strings when there are any."""
        line: dict[str, Any] = {}
        for key, value in vars(record).items():
            # Keys come from callers' `extra` dicts, so they may be any hashable, not only str.
            name = key if isinstance(key, str) else str(key)
            if name in _STANDARD or name == "request_id" or name.startswith("_"):
                continue
            line[f"extra_{name}" if name in self.FIXED else name] = value
        fixed: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            fixed["request_id"] = request_id
        if record.exc_info:
            fixed["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            fixed["stack"] = self.formatStack(record.stack_info)
        try:
            return json.dumps(fixed | line, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            # An extra json cannot write even as str (a self-referencing list): keep the line.
            extras = {name: repr(value) for name, value in line.items()}
            return json.dumps(fixed | extras, default=str, ensure_ascii=False)


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
    method, path, status = current.method, loggable_path(current), response.status_code
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
