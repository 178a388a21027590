"""Focus requests across the fleet: PostgreSQL LISTEN/NOTIFY between the workers.

A smoke alarm consumed by one worker asks for focus on the cameras that see the building,
and those cameras may be leased by another worker. Each request is NOTIFYed on one
channel; every worker LISTENs and applies it to the cameras it runs (the others ignore
it). Only camera ids and seconds cross: frames never leave the process that decoded them.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "tianwang_focus"
CHECK_S = 10.0
"""How often an idle listening connection is checked (a dead one is reopened)."""

Apply = Callable[[list[str], float], None]


def focus_message(camera_ids: list[str], seconds: float) -> str:
    """The NOTIFY payload of one request."""
    return json.dumps({"cameras": sorted(camera_ids), "seconds": seconds})


def parse_focus(payload: str) -> tuple[list[str], float] | None:
    """Camera ids and seconds from a payload; None (logged) when it is not one of ours."""
    try:
        found = json.loads(payload)
        cameras = [str(camera) for camera in found["cameras"]]
        return cameras, float(found["seconds"])
    except (ValueError, KeyError, TypeError) as exc:
        log.error("focus relay: ignored a malformed request %r: %s", payload[:200], exc)
        return None


class FocusRelay:
    """Sends this worker's focus requests to the fleet and applies the fleet's here."""

    def __init__(self, engine: AsyncEngine, apply: Apply) -> None:
        self._engine = engine
        self._apply = apply
        self.ready = asyncio.Event()
        """Set while listening."""

    async def send(self, camera_ids: list[str], seconds: float) -> None:
        """Ask every worker for focus on these cameras."""
        notify = sa.select(sa.func.pg_notify(CHANNEL, focus_message(camera_ids, seconds)))
        async with self._engine.begin() as conn:
            await conn.execute(notify)

    async def run(self) -> None:
        """Listen until cancelled; raises when the connection dies (supervise reopens it)."""
        received: asyncio.Queue[str] = asyncio.Queue()

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            received.put_nowait(payload)

        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            listener = raw.driver_connection
            assert listener is not None
            await listener.add_listener(CHANNEL, on_notify)
            self.ready.set()
            try:
                while True:
                    try:
                        payload = await asyncio.wait_for(received.get(), CHECK_S)
                    except TimeoutError:
                        await listener.execute("SELECT 1")
                        continue
                    request = parse_focus(payload)
                    if request is not None:
                        self._apply(*request)
            finally:
                self.ready.clear()
                await conn.invalidate()  # never hand a listening connection back to the pool
