"""Keeping the garbage collector's full passes short in a long-running process.

After start-up a service holds some 110,000 tracked objects (modules, SQLAlchemy tables,
pydantic models, the registry). CPython's full (generation 2) collection visits them all,
about 100 ms here, and under a sensor load it ran every couple of seconds: the alarm that
arrived meanwhile waited for it (the p99 of ``bench sensors``). ``gc.freeze`` moves what
start-up made into a permanent generation that collections skip (Python docs, gc.freeze;
the practice Instagram described in "Dismissing Python Garbage Collection at Instagram").
"""

import gc
import logging
import time
from typing import Any

from prometheus_client import Gauge

log = logging.getLogger(__name__)

GC_PAUSE = Gauge(
    "tianwang_gc_pause_seconds",
    "Longest garbage-collector pass so far in this process, by generation.",
    ["generation"],
)
SLOW_PASS_S = 0.25
"""A collector pass this long is logged: every thread of the process waits for it."""


YOUNG_THRESHOLD = 20_000
"""Allocations between two young-generation passes (CPython's default is 700). At 6,000
sensor messages a second the default ran some fifty young passes a second and a full pass
every two seconds; fewer passes, each over more young objects. Not measured apart from
the freeze."""


def freeze_start_up_objects() -> int:
    """Collect once, exempt every object alive now from later collections and space the
    passes out (``YOUNG_THRESHOLD``); how many objects were exempted."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    frozen = gc.get_freeze_count()
    log.info("heap: %d start-up objects exempt from garbage collection", frozen)
    watch_collector_passes()
    return frozen


def watch_collector_passes() -> None:
    """Time every collector pass (once per process): the longest per generation is
    exported, and a pass over ``SLOW_PASS_S`` is logged (every camera thread and the
    event loop wait for it)."""
    if _timed in gc.callbacks:
        return
    gc.callbacks.append(_timed)


_started: dict[int, float] = {}
_longest: dict[int, float] = {}


def _timed(phase: str, info: dict[str, Any]) -> None:
    generation = int(info["generation"])
    if phase == "start":
        _started[generation] = time.perf_counter()
        return
    took = time.perf_counter() - _started.pop(generation, time.perf_counter())
    if took > _longest.get(generation, 0.0):
        _longest[generation] = took
        GC_PAUSE.labels(str(generation)).set(took)
    if took > SLOW_PASS_S:
        log.warning(
            "heap: generation %d collector pass took %.2f s (%d collected)",
            generation,
            took,
            info.get("collected", 0),
        )
