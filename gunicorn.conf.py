"""gunicorn settings for the web process: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (GUNICORN_*, WEB_CONCURRENCY) so the same file
serves a laptop, a systemd unit and a Procfile platform.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

# Metrics: each worker is its own process, so prometheus-client keeps its counters in files in a
# shared folder. This must be set before anything imports prometheus_client, which is why it is
# done here (gunicorn reads this file before it loads the app in the workers).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="maintenance-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: requests are short database round trips; 2 per core plus 1 keeps the cores busy
# while some workers wait on PostgreSQL. Each worker holds up to two database connections.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
# The slowest legitimate request is a label PDF for a large batch (a few seconds); anything
# past this is stuck and gets its worker replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Behind a reverse proxy that reuses connections.
keepalive = 5
# Replace workers now and then so slow leaks can't build up; jitter avoids all at once.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files in memory: a slow disk must not make gunicorn kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Workers load the app after the fork, so no database connection is shared between processes.
preload_app = False

errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The app logs each request itself (maintenance.requests: route, status, duration, request id);
# set GUNICORN_ACCESS_LOG=- to have gunicorn's access log as well. Its lines carry no path: paths
# hold magic-link, calendar and action tokens, which only the app knows to hide (the request id
# joins a line to the app's, which has the route).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = "%(h)s %(m)s %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s"

if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines (worker started, timeouts) in the same JSON shape as the app's.
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "maintenance.ops.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        # gunicorn's defaults name a "console" handler for the root logger; replace it.
        "root": {"handlers": ["stderr"], "level": loglevel.upper()},
        "loggers": {
            "gunicorn.error": {
                "handlers": ["stderr"],
                "level": loglevel.upper(),
                "propagate": False,
            },
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }

_PID_IN_NAME = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: Any) -> None:
    """Clear metric files of processes that are gone; the scheduler's live files stay."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for path in METRICS_DIR.glob("*.db"):
        match = _PID_IN_NAME.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a finished worker's live gauges (its counters keep counting in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Leave the loaded application's objects out of the cyclic garbage collector's passes."""
    import gc

    # The app, its modules and its libraries are about 150,000 objects that live as long as the
    # worker. A full collection walked them all (80 ms) and every request waiting on that worker
    # waited too: it was the whole p99 of the unit page at 500 requests/s (bench/scan.py).
    gc.freeze()
