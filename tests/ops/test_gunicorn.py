"""The shipped gunicorn.conf.py: two real workers, metrics added up across them, JSON logs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from maintenance import create_app
from maintenance.config import ROOT, TestConfig
from maintenance.extensions import db

REQUESTS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request on its own connection, so the workers take turns accepting."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def pids_in(metrics_dir: Path) -> set[str]:
    """The processes that have metric files in the shared folder."""
    return {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("*.db")}


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path, Path]]:
    """gunicorn with the project's config and 2 workers on a migrated SQLite file."""
    from flask_migrate import upgrade

    tmp_path = tmp_path_factory.mktemp("gunicorn")
    database_url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": "2",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": "gunicorn-metrics-token",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    env.pop("TEST_DATABASE_URL", None)
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(gunicorn_bin), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Poll until it answers: a bounded number of tries, nothing asserted about the time.
        for _ in range(600):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()}")
            try:
                # Both workers up: each has written its metric files while loading the app.
                if get(port, "/healthz")[0] == 200 and len(pids_in(metrics_dir)) == 2:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        yield port, metrics_dir, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_metrics_add_up_across_workers(gunicorn: tuple[int, Path, Path]) -> None:
    port, metrics_dir, _ = gunicorn
    for _ in range(REQUESTS):
        assert get(port, "/readyz")[0] == 200
    status, body = get(port, "/metrics", {"Authorization": "Bearer gunicorn-metrics-token"})
    assert status == 200
    total = sum(
        sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == "maintenance_http_requests_total"
        and sample.labels == {"method": "GET", "route": "/readyz", "status": "200"}
    )
    assert total == REQUESTS
    # The two workers answered and counted in their own files; the scrape added them up.
    assert len(pids_in(metrics_dir)) == 2


def test_request_lines_are_json_with_the_request_id(gunicorn: tuple[int, Path, Path]) -> None:
    port, _, log = gunicorn
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/", headers={"X-Request-ID": "soak-check-1"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.getheader("X-Request-ID") == "soak-check-1"
    # The worker logs the line before it answers, so it is in the file by now.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line.get("request_id") == "soak-check-1"]
    assert line["route"] == "/" and line["status"] == response.status
