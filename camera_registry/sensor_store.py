"""Building sensors in the register (the sensors issue grows this into a full store)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import sensors


@dataclass(frozen=True, slots=True)
class SensorRecord:
    """A building sensor and where it is."""

    id: str
    kind: str
    grid_id: str
    site_id: str | None
    building: str | None
    lat: float | None
    lon: float | None


async def list_sensors(engine: AsyncEngine) -> list[SensorRecord]:
    """Every sensor, ordered by id."""
    query = sa.select(*[c for c in sensors.c if c.name != "last_seen_at"]).order_by(sensors.c.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [SensorRecord(**row) for row in rows]
