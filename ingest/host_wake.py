"""Cameras behind one server come back together.

Many of a county's streams come through one NVR or streaming server: when it goes down,
every camera behind it backs off, and by the time it returns each waits a jittered delay
of up to the cap (60 s) before trying again. Once one of them connects, the server is
plainly back: the others behind the same host and port stop waiting and retry, spread
over a couple of seconds so the server is not hit by all of them in the same instant.
"""

import asyncio
import contextlib
import random
from urllib.parse import urlsplit

SPREAD_S = 2.0
"""Woken cameras retry within this many seconds of one another, or more when many wait."""
SPREAD_PER_CAMERA_S = 0.03
"""How much each waiting camera widens that spread: 150 cameras over 4.5 s, not 75 opens a
second against a server that has just restarted every stream."""


def host_of(url: str) -> str:
    """``host:port`` of a stream URL (credentials and path left out); "" when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    return f"{parts.hostname}:{port or 554}"


class HostWake:
    """Back-off waits that end early when another camera of the same host connects."""

    def __init__(self, spread_s: float = SPREAD_S) -> None:
        self._spread_s = spread_s
        self._back: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}
        self._woken: dict[str, int] = {}
        """How many were waiting on each host when it last answered (sets the spread)."""

    async def sleep(self, host: str, delay_s: float) -> bool:
        """Wait ``delay_s``, or less once ``host`` is known to answer again; True if woken."""
        if not host:
            await asyncio.sleep(delay_s)
            return False
        back = self._back.setdefault(host, asyncio.Event())
        self._waiting[host] = self._waiting.get(host, 0) + 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay_s):
                    await back.wait()
            if not back.is_set():
                return False
            spread = max(self._spread_s, SPREAD_PER_CAMERA_S * self._woken.get(host, 1))
            await asyncio.sleep(random.uniform(0.0, spread))
            return True
        finally:
            self._waiting[host] -= 1
            if not self._waiting[host]:
                del self._waiting[host]

    def answered(self, host: str) -> None:
        """A camera of ``host`` connected: wake the ones waiting to retry it."""
        back = self._back.pop(host, None)
        if back is not None:
            self._woken[host] = self._waiting.get(host, 0)
            back.set()

    @property
    def hosts_waited_on(self) -> int:
        """Hosts with cameras waiting (for tests and metrics)."""
        return len(self._back)
