"""The sensor register: building sensors, where they are, which cameras see their building.

A sensor is a row of ``sensors`` (identity and place) and one of ``sensor_details`` (name,
profile, heartbeat window, thresholds), written together.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.camera_store import Duplicate, NotFound, _check_place
from camera_registry.schema import camera_coverage, sensors, sites
from camera_registry.sensor_schema import sensor_details
from config.sensors import SensorRuleSettings

SENSOR_KINDS = ("smoke", "heat", "gas", "water", "bin", "door", "temperature", "humidity")
_THRESHOLD_KEYS = frozenset(SensorRuleSettings.model_fields) - {"heartbeat_s"}


class SensorNotFound(NotFound):
    """No sensor with that id."""


class DuplicateSensor(Duplicate):
    """A sensor with that id exists already."""


def _checked_thresholds(value: dict[str, float] | None) -> dict[str, float] | None:
    if value is not None and (unknown := sorted(set(value) - _THRESHOLD_KEYS)):
        raise ValueError(f"unknown thresholds {unknown}; allowed: {sorted(_THRESHOLD_KEYS)}")
    return value


class SensorPatch(BaseModel):
    """Fields of a sensor to change; what is not given stays."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, pattern=r"^[a-z_]{2,32}$", examples=list(SENSOR_KINDS))
    grid_id: str | None = Field(None, max_length=32, description="网格 code")
    site_id: str | None = Field(None, max_length=64, description="building or site")
    building: str | None = Field(None, max_length=128)
    lat: float | None = Field(None, ge=-90, le=90, description="WGS-84")
    lon: float | None = Field(None, ge=-180, le=180, description="WGS-84")
    name: str | None = Field(None, max_length=128)
    profile: str | None = Field(None, max_length=64, description="sensor profile; null: default")
    heartbeat_s: float | None = Field(None, ge=10, le=7 * 86400)
    thresholds: dict[str, float] | None = Field(
        None, description='this sensor\'s rule figures, e.g. {"heat_fixed_c": 70}'
    )
    enabled: bool | None = None

    _thresholds = field_validator("thresholds")(_checked_thresholds)


class SensorIn(SensorPatch):
    """A sensor to add."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[^/#+\s]+$")
    kind: str = Field(pattern=r"^[a-z_]{2,32}$", examples=list(SENSOR_KINDS))
    grid_id: str = Field(max_length=32, description="网格 code")
    enabled: bool = True


class SensorRecord(BaseModel):
    """A building sensor, where it is, and the cameras that cover its building."""

    id: str
    kind: str
    grid_id: str
    site_id: str | None
    building: str | None
    lat: float | None
    lon: float | None
    name: str | None = None
    profile: str | None = None
    heartbeat_s: float | None = None
    thresholds: dict[str, float] | None = None
    enabled: bool = True
    last_seen_at: datetime | None = None
    cameras: list[str] = Field(default_factory=list, description="cameras covering its site")


@dataclass(frozen=True, slots=True)
class SensorFilter:
    """Which sensors to list; None matches all."""

    grid: str | None = None
    site: str | None = None
    kind: str | None = None


_BASE = ("kind", "grid_id", "site_id", "building", "lat", "lon")
_DETAIL = ("name", "profile", "heartbeat_s", "thresholds", "enabled")
_COLUMNS = (
    *sensors.c,
    *(sensor_details.c[name] for name in _DETAIL),
)
_JOINED = sensors.outerjoin(sensor_details, sensor_details.c.sensor_id == sensors.c.id)


def _filtered(query: sa.Select[Any], f: SensorFilter) -> sa.Select[Any]:
    if f.grid is not None:
        query = query.where(sensors.c.grid_id == f.grid)
    if f.site is not None:
        query = query.where(sensors.c.site_id == f.site)
    if f.kind is not None:
        query = query.where(sensors.c.kind == f.kind)
    return query


async def _covering(conn: AsyncConnection, site_ids: set[str]) -> dict[str, list[str]]:
    """Cameras covering each site, the site's parent (the compound) included."""
    if not site_ids:
        return {}
    parents = dict(
        (
            await conn.execute(
                sa.select(sites.c.id, sites.c.parent_id).where(sites.c.id.in_(site_ids))
            )
        ).all()
    )
    wanted = site_ids | {p for p in parents.values() if p}
    rows = (
        await conn.execute(
            sa.select(camera_coverage.c.site_id, camera_coverage.c.camera_id)
            .where(camera_coverage.c.site_id.in_(wanted))
            .order_by(camera_coverage.c.camera_id)
        )
    ).all()
    by_site: dict[str, list[str]] = {}
    for site_id, camera_id in rows:
        by_site.setdefault(site_id, []).append(camera_id)
    return {
        s: sorted({*by_site.get(s, []), *by_site.get(parents.get(s) or "", [])}) for s in site_ids
    }


def _record(row: Any, covering: dict[str, list[str]]) -> SensorRecord:
    values = dict(row)
    values["enabled"] = True if values["enabled"] is None else values["enabled"]
    values["cameras"] = covering.get(values["site_id"] or "", [])
    return SensorRecord(**values)


async def page_sensors(
    engine: AsyncEngine, f: SensorFilter = SensorFilter(), *, limit: int = 100, offset: int = 0
) -> tuple[list[SensorRecord], int]:
    """One page of sensors ordered by id, and how many match in all."""
    query = _filtered(sa.select(*_COLUMNS).select_from(_JOINED), f)
    count = _filtered(sa.select(sa.func.count()).select_from(sensors), f)
    async with engine.connect() as conn:
        rows = (
            (await conn.execute(query.order_by(sensors.c.id).limit(limit).offset(offset)))
            .mappings()
            .all()
        )
        total = int((await conn.execute(count)).scalar_one())
        covering = await _covering(conn, {r["site_id"] for r in rows if r["site_id"]})
    return [_record(r, covering) for r in rows], total


async def list_sensors(engine: AsyncEngine, f: SensorFilter = SensorFilter()) -> list[SensorRecord]:
    """Every sensor (matching ``f``), ordered by id."""
    page, _ = await page_sensors(engine, f, limit=1_000_000)
    return page


async def get_sensor(engine: AsyncEngine, sensor_id: str) -> SensorRecord:
    """The sensor with this id; SensorNotFound otherwise."""
    async with engine.connect() as conn:
        return await _get(conn, sensor_id)


async def _get(conn: AsyncConnection, sensor_id: str) -> SensorRecord:
    row = (
        (
            await conn.execute(
                sa.select(*_COLUMNS).select_from(_JOINED).where(sensors.c.id == sensor_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise SensorNotFound(f"no sensor {sensor_id}")
    covering = await _covering(conn, {row["site_id"]} if row["site_id"] else set())
    return _record(row, covering)


def split_row(sensor: SensorIn) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``sensors`` and ``sensor_details`` rows of a sensor."""
    base = {"id": sensor.id, **{k: getattr(sensor, k) for k in _BASE}}
    detail = {
        "sensor_id": sensor.id,
        **{k: getattr(sensor, k) for k in _DETAIL},
        "updated_at": datetime.now(UTC),
    }
    return base, detail


async def create_sensor(engine: AsyncEngine, sensor: SensorIn) -> SensorRecord:
    """Add one sensor; DuplicateSensor or RegistryError (unknown grid or site) otherwise."""
    base, detail = split_row(sensor)
    async with engine.begin() as conn:
        await _check_place(conn, sensor.grid_id, sensor.site_id)
        exists = (
            await conn.execute(sa.select(sensors.c.id).where(sensors.c.id == sensor.id))
        ).first()
        if exists is not None:
            raise DuplicateSensor(f"sensor {sensor.id} exists")
        await conn.execute(sa.insert(sensors).values(base))
        await conn.execute(sa.insert(sensor_details).values(detail))
        return await _get(conn, sensor.id)


async def update_sensor(engine: AsyncEngine, sensor_id: str, patch: SensorPatch) -> SensorRecord:
    """Change only the fields given."""
    changes = patch.model_dump(exclude_unset=True)
    async with engine.begin() as conn:
        current = await _get(conn, sensor_id)
        merged = current.model_dump() | changes
        await _check_place(conn, merged["grid_id"], merged["site_id"])
        base = {k: v for k, v in changes.items() if k in _BASE}
        if base:
            await conn.execute(sa.update(sensors).where(sensors.c.id == sensor_id).values(base))
        detail = {k: merged[k] for k in _DETAIL} | {"updated_at": datetime.now(UTC)}
        updated = await conn.execute(
            sa.update(sensor_details).where(sensor_details.c.sensor_id == sensor_id).values(detail)
        )
        if updated.rowcount == 0:
            await conn.execute(sa.insert(sensor_details).values(sensor_id=sensor_id, **detail))
        return await _get(conn, sensor_id)


async def touch_sensors(engine: AsyncEngine, last_seen: dict[str, datetime]) -> None:
    """Record when each sensor was last heard from (batched by the caller)."""
    if not last_seen:
        return
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(sensors)
            .where(sensors.c.id == sa.bindparam("b_id"))
            .values(last_seen_at=sa.bindparam("at")),
            [{"b_id": k, "at": v} for k, v in last_seen.items()],
        )
