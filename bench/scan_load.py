"""The scan bench's loads: closed loop (wrk or Python threads) and open loop at a fixed rate."""

from __future__ import annotations

import http.client
import itertools
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from scan_data import SERIAL_PREFIX, unit_path
from scan_servers import HOST

REQUEST_TIMEOUT = 10.0  # seconds; a request slower than this counts as an error
FIXED_RATE_CONNECTIONS = 32  # enough in flight that the client never paces the server


@dataclass
class Result:
    """One measurement: how many answered in how long, and how fast."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    app_cpu_ms: float = float("nan")  # CPU per answered request: master and workers
    db_cpu_ms: float = float("nan")  # CPU per answered request: the PostgreSQL backends

    @property
    def rate(self) -> float:
        """Requests per second (successful ones)."""
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


WRK_SCRIPT = """
local gtins = {%(gtins)s}
local units = %(units)d
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
end
function request()
  local n = math.random(0, units - 1)
  return wrk.format("GET", string.format("/01/%%s/21/%(prefix)s%%08d", gtins[n %% #gtins + 1], n))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(port: int, gtins: list[str], units: int, connections: int, seconds: float) -> Result:
    """Closed-loop load with wrk: `connections` clients, each sending its next request at once."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(
            WRK_SCRIPT
            % {
                "gtins": ", ".join(f'"{gtin}"' for gtin in gtins),
                "units": units,
                "prefix": SERIAL_PREFIX,
            }
        )
        script.flush()
        done = subprocess.run(
            [
                "wrk",
                "--threads",
                "1",  # one client thread keeps up with 2 workers and leaves the cores to them
                "--connections",
                str(connections),
                "--duration",
                f"{seconds:g}s",
                "--timeout",
                f"{REQUEST_TIMEOUT:g}s",
                "--script",
                script.name,
                f"http://{HOST}:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", done.stdout, re.MULTILINE)
    if match is None:
        sys.exit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    total, micros, errors, p50, p99 = (int(value) for value in match.groups())
    return Result(total - errors, micros / 1e6, errors, p50 / 1000, p99 / 1000)


class Client:
    """One keep-alive connection (it reconnects when a sync worker closes it)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def get(self, path: str) -> bool:
        """Fetch a page whole; whether it answered 200."""
        try:
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            response.read()
            if response.will_close:
                self.connection.close()  # http.client opens a new one on the next request
            return response.status == 200
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return False


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Run `work(index)` on `count` threads and wait for all of them."""
    threads = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_python(port: int, gtins: list[str], units: int, connections: int, seconds: float) -> Result:
    """Closed-loop load from Python threads, when wrk is not installed."""
    latencies: list[float] = []
    failed: list[int] = []  # list.append is atomic; += on a shared int is not
    started = time.perf_counter()
    deadline = started + seconds

    def work(index: int) -> None:
        client, pick = Client(port), random.Random(index)
        while (now := time.perf_counter()) < deadline:
            ok = client.get(unit_path(gtins, pick.randrange(units)))
            if ok:
                latencies.append(time.perf_counter() - now)  # list.append is atomic
            else:
                failed.append(1)

    run_threads(connections, work)
    ordered = sorted(latencies)
    return Result(
        len(ordered),
        time.perf_counter() - started,
        len(failed),
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.99) * 1000,
    )


def run_fixed_rate(port: int, gtins: list[str], units: int, rate: float, seconds: float) -> Result:
    """Open-loop load: request k is due at start + k/rate; its latency counts from then."""
    total = int(rate * seconds)
    slots = itertools.count()  # next() on it is atomic under the GIL
    latencies: list[float] = []
    failed: list[int] = []  # list.append is atomic; += on a shared int is not
    started = time.perf_counter() + 0.1
    # Requests not even sent by then count as errors: the run stays bounded on a slow server.
    give_up = started + 2 * seconds

    def work(index: int) -> None:
        client, pick = Client(port), random.Random(index)
        while (slot := next(slots)) < total:
            due = started + slot / rate
            if time.perf_counter() > give_up:
                failed.append(slot)
                continue
            time.sleep(max(0.0, due - time.perf_counter()))
            if client.get(unit_path(gtins, pick.randrange(units))):
                latencies.append(time.perf_counter() - due)
            else:
                failed.append(slot)

    run_threads(FIXED_RATE_CONNECTIONS, work)
    ordered = sorted(latencies)
    return Result(
        len(ordered),
        max(seconds, time.perf_counter() - started),
        len(failed),
        percentile(ordered, 0.50) * 1000,
        percentile(ordered, 0.99) * 1000,
    )
