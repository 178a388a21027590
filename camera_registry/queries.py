"""Reading and updating the registry. Records carry no credentials except where asked for."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.credentials import strip_credentials, with_credentials
from camera_registry.schema import cameras, grids, sensors

CameraStatus = Literal["unknown", "online", "offline"]


@dataclass(frozen=True, slots=True)
class CameraRecord:
    """A camera as the rest of tianwang sees it: no password in it."""

    id: str
    gb_id: str
    name: str
    grid_id: str
    lat: float | None
    lon: float | None
    stream_url: str
    enabled: bool
    status: str
    status_since: datetime | None
    status_reason: str | None


@dataclass(frozen=True, slots=True)
class SensorRecord:
    """A building sensor and where it is."""

    id: str
    kind: str
    grid_id: str
    building: str | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class Place:
    """Where an incident is: the grid (with its street and community) and a WGS-84 point."""

    grid_id: str
    grid_name: str
    street: str
    community: str
    lat: float | None
    lon: float | None
    label: str


_CAMERA_COLUMNS = [c for c in cameras.c if c.name not in ("rtsp_username", "rtsp_password")]


async def list_cameras(engine: AsyncEngine, *, enabled_only: bool = False) -> list[CameraRecord]:
    """Every camera, ordered by id."""
    query = sa.select(*_CAMERA_COLUMNS).order_by(cameras.c.id)
    if enabled_only:
        query = query.where(cameras.c.enabled)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [CameraRecord(**row) for row in rows]


async def count_cameras(engine: AsyncEngine) -> int:
    """How many cameras the registry holds."""
    async with engine.connect() as conn:
        return int(
            (await conn.execute(sa.select(sa.func.count()).select_from(cameras))).scalar_one()
        )


async def open_url(engine: AsyncEngine, camera_id: str) -> str:
    """The URL ingest opens, credentials included. Never log or return it from the API."""
    query = sa.select(cameras.c.stream_url, cameras.c.rtsp_username, cameras.c.rtsp_password)
    async with engine.connect() as conn:
        row = (await conn.execute(query.where(cameras.c.id == camera_id))).one()
    return with_credentials(row.stream_url, row.rtsp_username, row.rtsp_password)


async def set_stream_url(engine: AsyncEngine, camera_id: str, url: str) -> None:
    """Point a camera at ``url``; user info in it is moved to the credential columns."""
    bare, user, password = strip_credentials(url)
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(cameras)
            .where(cameras.c.id == camera_id)
            .values(stream_url=bare, rtsp_username=user, rtsp_password=password)
        )


async def set_camera_status(
    engine: AsyncEngine, camera_id: str, status: CameraStatus, reason: str | None = None
) -> None:
    """Record a camera's status; ``status_since`` moves only when the status changes."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(cameras)
            .where(cameras.c.id == camera_id)
            .values(
                status=status,
                status_reason=reason,
                status_since=sa.case(
                    (cameras.c.status == status, cameras.c.status_since), else_=now
                ),
            )
        )


async def list_sensors(engine: AsyncEngine) -> list[SensorRecord]:
    """Every sensor, ordered by id."""
    query = sa.select(*[c for c in sensors.c if c.name != "last_seen_at"]).order_by(sensors.c.id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [SensorRecord(**row) for row in rows]


async def place_of(
    engine: AsyncEngine, source_kind: Literal["camera", "sensor"], source_id: str
) -> Place | None:
    """The grid and point of a camera or sensor; None when the registry does not know it."""
    table = cameras if source_kind == "camera" else sensors
    label = cameras.c.name if source_kind == "camera" else sensors.c.building
    query = (
        sa.select(
            grids.c.id.label("grid_id"),
            grids.c.name.label("grid_name"),
            grids.c.street,
            grids.c.community,
            table.c.lat,
            table.c.lon,
            label.label("label"),
        )
        .join_from(table, grids, table.c.grid_id == grids.c.id)
        .where(table.c.id == source_id)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).mappings().one_or_none()
    if row is None:
        return None
    return Place(**{**row, "label": row["label"] or source_id})
