"""The soak's HTTP load: scans and sign-ups at a steady rate, every request recorded as a Hit."""

from __future__ import annotations

import http.client
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from soak_data import GTIN


@dataclass
class Hit:
    at: float
    kind: str
    status: int  # 0: no answer (connection refused or reset)
    seconds: float


class Load:
    """Scans and sign-ups at a steady rate from several threads, each from its own "phone"."""

    def __init__(self, port: int, units: int, rate: float, threads: int = 8) -> None:
        self.port, self.units, self.rate, self.threads = port, units, rate, threads
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        self.signups = 0
        self._workers: list[threading.Thread] = []

    def _headers(self, rng: random.Random, cookie: str | None = None) -> dict[str, str]:
        # Behind the (simulated) proxy each visitor has an address of their own.
        headers = {"X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.7"}
        if cookie:
            headers["Cookie"] = cookie
        return headers

    def _request(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, Any, bytes]:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            response, content, status = None, b"", 0
        finally:
            connection.close()
        self.hits.append(Hit(time.time(), kind, status, time.monotonic() - started))
        return status, response, content

    def _scan(self, rng: random.Random) -> None:
        serial = rng.randrange(1, self.units + 1)
        self._request("scan", "GET", f"/01/{GTIN}/21/S{serial}", self._headers(rng))

    def _sign_up(self, rng: random.Random) -> None:
        """Open a unit page and post its "Remind me" form, as a phone that never signed in does.

        Such a visitor's page has no session and no CSRF token (web/visitors.py): the form is
        posted without them, as the browser would.
        """
        serial = rng.randrange(1, self.units + 1)
        path = f"/01/{GTIN}/21/S{serial}"
        headers = self._headers(rng)
        status, _response, _page = self._request("signup-page", "GET", path, headers)
        if status != 200:
            return
        self.signups += 1
        form = (
            f"gtin={GTIN}&serial=S{serial}&hour=9&consent=reminders-v1&role=owner"
            f"&contact=signup{self.signups}.{rng.randrange(10**9)}%40soak.test"
        )
        self._request(
            "signup",
            "POST",
            "/remind",
            {**headers, "Content-Type": "application/x-www-form-urlencoded"},
            form,
        )

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        interval = self.threads / self.rate
        next_at = time.monotonic() + rng.uniform(0, interval)
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            next_at += interval
            (self._sign_up if rng.random() < 0.1 else self._scan)(rng)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def finish(self) -> None:
        self.stop.set()
        for worker in self._workers:
            worker.join()
