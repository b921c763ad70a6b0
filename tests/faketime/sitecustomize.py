"""Loaded by every Python process of the suite's faketime run (.ci/run puts this folder first on
PYTHONPATH): makes time.sleep work under Debian's libfaketime 0.9.10.

The run fakes only the wall clock (FAKETIME_DONT_FAKE_MONOTONIC=1: faking the monotonic clock
hangs every timed lock wait, libfaketime issue 390). With that setting libfaketime turns the
absolute clock_nanosleep that Python 3.11's time.sleep makes into EINVAL (issue 426). select()
with a relative timeout passes through unchanged, so sleeping is done with it.
"""

from __future__ import annotations

import os
import select
import time

if os.environ.get("FAKETIME"):
    _monotonic = time.monotonic

    def _sleep(seconds: float) -> None:
        """time.sleep through select(), to the same deadline (select may wake early)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = _monotonic() + seconds
        remaining = seconds
        while remaining > 0:
            select.select([], [], [], remaining)
            remaining = deadline - _monotonic()

    time.sleep = _sleep
