"""Login rate limiting: failures counted per user name and per client address in a window."""

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Refuses logins after too many recent failures for a user name or an address.

    An address gets ``4 × max_failures`` because a command centre sits behind one NAT.
    State is per process: a fleet behind a load balancer counts per API process.
    """

    def __init__(
        self,
        max_failures: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def retry_after(self, user: str, address: str) -> float | None:
        """Seconds until a login may be tried again, or None when it may be tried now."""
        waits = []
        for key, limit in (
            (f"user:{user}", self.max_failures),
            (f"ip:{address}", 4 * self.max_failures),
        ):
            times = self._recent(key)
            if len(times) >= limit:
                waits.append(times[len(times) - limit] + self.window_s - self._clock())
        return max(waits) if waits else None

    def failed(self, user: str, address: str) -> None:
        """Count one failed login."""
        now = self._clock()
        for key in (f"user:{user}", f"ip:{address}"):
            self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > 100_000:  # a flood of made-up names must not grow forever
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, user: str) -> None:
        """A good login clears that user name's failures (not its address's)."""
        self._failures.pop(f"user:{user}", None)
