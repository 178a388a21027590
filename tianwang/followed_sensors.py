"""The sensor register as a running service follows it: which sensors are known, by which
figures each is judged, and when each last spoke."""

import asyncio
import contextlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.sensor_store import list_sensors, touch_sensors
from detectors.model import Reading
from detectors.sensor_rules import SensorRules

FOLLOW_EVERY_S = 30.0
"""How often the register is read again and the sensors' last words stored."""


class FollowedSensors:
    """Keeps ``rules`` in step with the register; ``follow()`` until cancelled."""

    def __init__(self, engine: AsyncEngine, rules: SensorRules) -> None:
        self.engine = engine
        self.rules = rules
        self._known: set[str] = set()
        self._last_seen: dict[str, datetime] = {}

    def __len__(self) -> int:
        return len(self._known)

    def is_known(self, sensor_id: str) -> bool:
        """True for an enabled sensor of the register (as last refreshed)."""
        return sensor_id in self._known

    def heard(self, reading: Reading) -> None:
        """Note a reading as its sensor's last word (stored with the next refresh)."""
        self._last_seen[reading.device_id] = reading.at

    async def refresh(self) -> None:
        """Take the register as it is now: new sensors known, disabled or removed ones
        unknown (their messages become dead letters), each judged by its own heartbeat
        window and thresholds."""
        live = {s.id: s for s in await list_sensors(self.engine) if s.enabled}
        for gone in self._known - set(live):
            self.rules.unwatch(gone)
        for sensor in live.values():
            self.rules.watch(sensor.id, sensor.heartbeat_s, sensor.thresholds)
        self._known = set(live)

    async def store_last_seen(self) -> None:
        """Write when each sensor last spoke (the readings since the last call)."""
        seen, self._last_seen = self._last_seen, {}
        await touch_sensors(self.engine, seen)

    async def follow(self, every_s: float = FOLLOW_EVERY_S) -> None:
        """Store the last words and refresh every ``every_s``, until cancelled; a database
        hiccup skips one round."""
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                await self.store_last_seen()
                await self.refresh()
