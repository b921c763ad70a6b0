"""The soak's processes: the SMTP sink, the web and schedulers it starts, and waiting on them."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak_data import ROOT

BIN = Path(sys.executable).parent
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<reminder\.(\d+)\.", re.IGNORECASE | re.MULTILINE)


# --- the SMTP sink (runs in its own process: `soak.py --smtp-sink PORT FILE`) -------------------


def run_smtp_sink(port: int, out: Path) -> None:
    """Accept every message; write one line per message: time, reminder id (or -), recipient."""
    from aiosmtpd.controller import Controller

    stream = out.open("a", buffering=1)

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            match = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
            reminder = match.group(1).decode() if match else "-"
            stream.write(f"{time.time():.3f}\t{reminder}\t{envelope.rcpt_tos[0]}\n")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Processes:
    """The web, the schedulers and the sink, with their logs in one folder."""

    folder: Path
    env: dict[str, str]
    web_port: int
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], **env: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.children[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_scheduler(self, name: str) -> None:
        self.start(name, [str(BIN / "maintenance"), "scheduler"], LOG_LEVEL="INFO")

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye, no cleanup, exactly like a crashed machine."""
        process = self.children[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response, response.read()
    finally:
        connection.close()


def wait_for(what: str, condition: Callable[[], bool], limit: float, every: float = 0.5) -> float:
    """Poll until condition() holds; returns the seconds it took. Fails after `limit`."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() - started > limit:
            raise SystemExit(f"soak: gave up waiting for {what} after {limit:.0f} s")
        time.sleep(every)
