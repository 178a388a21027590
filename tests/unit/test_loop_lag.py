"""The event-loop lag gauge: a loop kept busy shows as late, and is logged."""

import asyncio
import logging
import time

import pytest
from prometheus_client import REGISTRY

from tianwang.loop_lag import watch_loop_lag


def lag() -> float:
    return float(REGISTRY.get_sample_value("tianwang_event_loop_lag_seconds") or 0.0)


async def test_a_blocked_loop_is_reported_late(caplog: pytest.LogCaptureFixture) -> None:
    watching = asyncio.create_task(watch_loop_lag(every_s=0.05, warn_s=0.3))
    try:
        await asyncio.sleep(0.2)
        assert lag() < 0.3  # an idle loop is on time
        with caplog.at_level(logging.WARNING, logger="tianwang.loop_lag"):
            asyncio.get_running_loop().call_soon(time.sleep, 0.6)  # a callback holding it
            await asyncio.sleep(0.2)
        assert lag() >= 0.5
        assert "event loop ran" in caplog.text
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
