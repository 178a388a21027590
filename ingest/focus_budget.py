"""How many cameras one worker lets decode every frame at once (ARCHITECTURE.md: patrol and
focus). When more ask than it allows, the highest priority wins: a camera asking with a
higher priority than the lowest holder takes that holder's place (the holder goes back to
patrol at its next key frame); one asking with no higher priority waits in patrol and asks
again at its next screen hit. Cameras with counting lines are always in focus at their
own low rate and take no place here.

Sessions run in threads of their own, hence the lock.
"""

import threading

from ingest.metrics import FOCUS_EVICTED, FOCUS_HELD, FOCUS_WAITED

PRIORITY = {"fire": 3, "smoke": 2}
"""Priority of a screen hit by detector kind; others get ``DEFAULT_PRIORITY``."""
DEFAULT_PRIORITY = 1
ASKED_PRIORITY = 4
"""A linked sensor alarm or an operator opening the camera outranks any screen hit."""


class FocusBudget:
    """At most ``slots`` cameras in focus; None: no limit."""

    def __init__(self, slots: int | None) -> None:
        self.slots = slots
        self._holders: dict[str, int] = {}
        self._lock = threading.Lock()

    def claim(self, camera_id: str, priority: int) -> bool:
        """True when ``camera_id`` may enter (or stay in) focus; False: it waits (counted)."""
        with self._lock:
            if camera_id in self._holders or self.slots is None:
                self._holders[camera_id] = max(priority, self._holders.get(camera_id, 0))
                return True
            if len(self._holders) >= self.slots:
                weakest = min(self._holders, key=self._holders.__getitem__)
                if self._holders[weakest] >= priority:
                    FOCUS_WAITED.inc()
                    return False
                del self._holders[weakest]  # it sees that at its next key frame
                FOCUS_EVICTED.inc()
            self._holders[camera_id] = priority
            FOCUS_HELD.set(len(self._holders))
            return True

    def holds(self, camera_id: str) -> bool:
        """False once ``camera_id`` lost its place to a higher priority (or never had one)."""
        return self.slots is None or camera_id in self._holders

    def release(self, camera_id: str) -> None:
        """``camera_id`` went back to patrol."""
        with self._lock:
            self._holders.pop(camera_id, None)
            FOCUS_HELD.set(len(self._holders))

    @property
    def held(self) -> int:
        """Cameras in focus under this budget now."""
        return len(self._holders)
