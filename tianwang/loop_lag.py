"""How late this process's event loop runs what is due: the lease keeper, the status
writer and every database round trip wait on it.

A task asks to wake every ``every_s``; how much later than asked it wakes is the loop's lag.
It is exported as a gauge (the worst of the last one to two minutes) and a lag over
``warn_s`` is logged, so that a lease round that overran can be told apart from a slow
database.
"""

import asyncio
import logging
import time

from prometheus_client import Gauge

log = logging.getLogger(__name__)

LAG = Gauge(
    "tianwang_event_loop_lag_seconds",
    "Worst lateness of the event loop over the last one to two minutes.",
)


async def watch_loop_lag(every_s: float = 0.5, warn_s: float = 1.0, window_s: float = 60.0) -> None:
    """Measure the loop's lag until cancelled."""
    worst, last_worst, window_started = 0.0, 0.0, time.monotonic()
    while True:
        asked = time.monotonic()
        await asyncio.sleep(every_s)
        lag = time.monotonic() - asked - every_s
        if lag > warn_s:
            log.warning("event loop ran %.1f s late", lag)
        worst = max(worst, lag)
        if time.monotonic() - window_started >= window_s:
            last_worst, worst, window_started = worst, 0.0, time.monotonic()
        LAG.set(max(worst, last_worst))
