"""bench/dispatch.py --compare: the whole pass with each fast path swapped for its library path.

The variants run interleaved, each round in another order, and a control ("shipped again")
swaps nothing, so the spread between two runs of the same code shows in the same table.
"""

from __future__ import annotations

import contextlib
import functools
import smtplib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@contextlib.contextmanager
def library_path(name: str) -> Iterator[None]:
    """Run with one fast path swapped for the library path it stands in for (see --compare)."""
    from itsdangerous import URLSafeTimedSerializer

    from maintenance.db import bulk
    from maintenance.notify import email
    from maintenance.services.reminders import links, outcomes
    from maintenance.services.reminders.email_templates import EmailTemplates

    saved: list[tuple[Any, str, Any]] = []

    def swap(module: Any, attribute: str, value: Any) -> None:
        saved.append((module, attribute, getattr(module, attribute)))
        setattr(module, attribute, value)

    if name in ("stdlib MIME", "all library"):
        # The channel's own path for non-ASCII addresses: build_mime and send_message.
        swap(email, "is_plain_ascii", lambda message, sender: False)
    if name in ("itsdangerous links", "all library"):
        # One URLSafeTimedSerializer per action, kept, as a plain itsdangerous user would.
        swap(links, "_serializer_for", functools.lru_cache(maxsize=64)(URLSafeTimedSerializer))
    if name in ("smtplib client", "all library"):
        swap(email, "SmtpClient", smtplib.SMTP)
    if name in ("plain bulk SQL", "all library"):
        # The statements SQLite gets: IN lists, executemany inserts, one UPDATE per sent row.
        swap(bulk, "on_postgresql", lambda: False)
        swap(outcomes, "on_postgresql", lambda: False)
    if name in ("Jinja per message", "all library"):
        # Each email part rendered by Jinja for every message, as the prerender test's reference.
        def render(self: Any, name: str, values: Any, follow_up: bool, lines: Any) -> str:
            return str(
                self.render(
                    name, **values, lines=lines, follow_up=follow_up, language=self.language
                )
            )

        swap(EmailTemplates, "fill", render)
    try:
        yield
    finally:
        for module, attribute, value in reversed(saved):
            setattr(module, attribute, value)


# "shipped again" swaps nothing: how far two runs of the same code differ within a round.
COMPARED = (
    "shipped",
    "shipped again",
    "stdlib MIME",
    "itsdangerous links",
    "smtplib client",
    "Jinja per message",
    "plain bulk SQL",
    "all library",
)


@dataclass
class Compared:
    """One variant's whole passes: reminders/s, and this process's CPU ms per reminder."""

    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)


def compare(
    run_pass: Callable[[], tuple[float, int]], rounds: int, variants: list[str]
) -> dict[str, Compared]:
    """The whole pass per variant, the variants interleaved per round.

    Wall time counts the database and the sink too, and other work on a shared machine;
    this process's CPU time (both threads) is what a fast path can save, and is steadier.
    run_pass sends the due reminders once, from a fresh start: (reminders per second, how many).
    """
    results = {name: Compared() for name in variants}
    for number in range(rounds):
        # Each round in another order, so no variant always follows the same one.
        order = variants[number % len(variants) :] + variants[: number % len(variants)]
        for name in order:
            with library_path(name):
                cpu = time.process_time()
                rate, count = run_pass()
                results[name].cpu_ms.append((time.process_time() - cpu) * 1000 / count)
            results[name].rates.append(rate)
        print(
            f"  round {number + 1}: "
            + ", ".join(
                f"{name} {results[name].rates[-1]:.0f}/s {results[name].cpu_ms[-1]:.2f} ms"
                for name in variants
            ),
            flush=True,
        )
    return results


def print_compared(compared: dict[str, Compared], raw: float) -> None:
    """Medians per variant, and the median of each round's ratio to the shipped code."""
    shipped = compared["shipped"]
    print()
    print(f"the whole pass, {len(shipped.rates)} interleaved rounds (medians):")
    for name, result in compared.items():
        rate_ratio = statistics.median(
            r / s for r, s in zip(result.rates, shipped.rates, strict=True)
        )
        cpu_ratio = statistics.median(
            c / s for c, s in zip(result.cpu_ms, shipped.cpu_ms, strict=True)
        )
        rate = statistics.median(result.rates)
        print(
            f"  {name:<20} {rate:6.0f} reminders/s ({rate_ratio:4.0%} of shipped per round,"
            f" {rate / raw:4.0%} of raw); {statistics.median(result.cpu_ms):5.2f} CPU ms"
            f" per reminder ({cpu_ratio:4.0%} of shipped)"
        )
