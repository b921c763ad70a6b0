"""The scan bench's gunicorn servers: started on free loopback ports, their CPU time, stopped."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from scan_data import ROOT
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

HOST = "127.0.0.1"
READY_TIMEOUT = 60.0  # seconds for gunicorn and the app to come up


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds so far, from /proc (empty where there is none)."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name: state ppid ... utime (12th) stime (13th).
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it just ended
        found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens, its master's process id, its database sessions."""

    port: int
    pid: int
    name: str
    monitor: Engine | None  # PostgreSQL only: to find the backends serving this server

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time so far of the master and workers, and of their PostgreSQL backends."""
        backends: list[int] = []
        if self.monitor is not None:
            with self.monitor.connect() as connection:
                backends = list(
                    connection.execute(
                        text("select pid from pg_stat_activity where application_name = :name"),
                        {"name": self.name},
                    ).scalars()
                )
        table = processes()
        app = sum(cpu for pid, (parent, cpu) in table.items() if self.pid in (pid, parent))
        return app, sum(table[pid][1] for pid in backends if pid in table)


@contextmanager
def gunicorn(
    name: str, target: str, chdir: Path, env: dict[str, str], logs: Path, monitor: Engine | None
) -> Iterator[Server]:
    """Serve `target` with 2 sync workers on a free loopback port; stop it on exit."""
    port = free_port()
    url = make_url(env["DATABASE_URL"])
    if monitor is not None:
        # Named sessions, so their backends' CPU time can be counted as this server's.
        url = url.update_query_dict({"application_name": f"bench-scan-{name}"})
    env = {**env, "DATABASE_URL": url.render_as_string(hide_password=False)}
    log = (logs / f"{name}.log").open("wb")
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--chdir",
        str(chdir),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        # Worker recycling would put app start-up into the figures; measure the steady state.
        "--max-requests",
        "0",
        target,
    ]
    server = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the workers can be reached too
    )
    try:
        wait_until_up(server, port, logs / f"{name}.log")
        yield Server(port, server.pid, f"bench-scan-{name}", monitor)
    finally:
        stop(server)
        log.close()


def wait_until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Return once both workers can answer, or fail with the server's log."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/__bench_ready")
            connection.getresponse().read()
            connection.close()
            # Both workers boot at once; one answering means the other is nearly there.
            time.sleep(1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not come up; its log:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL to its group."""
    if server.poll() is None:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # leftover workers of this server only
    server.wait()
