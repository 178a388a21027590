"""Keeping a long-running component alive: restart it (with backoff) if it ever crashes."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ingest.backoff import Backoff

log = logging.getLogger(__name__)


async def supervise(name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``run()`` until cancelled; an unexpected exception is logged and it is restarted."""
    backoff = Backoff(initial_s=0.5, max_s=30.0)
    while True:
        try:
            await run()
            log.warning("%s returned; restarting it", name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s crashed; restarting it", name)
        await asyncio.sleep(backoff.next_delay())
