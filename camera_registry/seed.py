"""Loading a seed file (places, cameras, sensors) into an empty registry."""

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.credentials import strip_credentials
from camera_registry.gb28181 import parse_device_id
from camera_registry.schema import cameras, grids, sensors


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GridSeed(_Row):
    """One 网格 with its 街道 and 社区."""

    id: str = Field(min_length=1, max_length=32)
    name: str
    street: str
    community: str


class CameraSeed(_Row):
    """One camera; ``simulate`` names the synthetic scene the demo serves for it."""

    id: str = Field(min_length=1, max_length=64)
    gb_id: str
    name: str
    grid: str
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    stream_url: str = ""
    simulate: Literal["street", "fire", "night"] | None = None

    @field_validator("gb_id")
    @classmethod
    def _valid_gb_id(cls, value: str) -> str:
        parse_device_id(value)
        return value


class SensorSeed(_Row):
    """One building sensor; ``simulate: alarm`` makes the demo raise its alarm."""

    id: str = Field(min_length=1, max_length=64)
    kind: str
    grid: str
    building: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    simulate: Literal["alarm"] | None = None


class SeedFile(_Row):
    """A whole seed file."""

    grids: list[GridSeed]
    cameras: list[CameraSeed] = []
    sensors: list[SensorSeed] = []


def read_seed(path: Path) -> SeedFile:
    """Parse and validate a seed YAML file."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    return SeedFile.model_validate(raw)


async def load_seed(engine: AsyncEngine, seed: SeedFile) -> bool:
    """Insert ``seed`` when the registry holds no grid yet; True when it did insert."""
    async with engine.begin() as conn:
        if (await conn.execute(sa.select(sa.func.count()).select_from(grids))).scalar_one():
            return False
        await conn.execute(sa.insert(grids), [g.model_dump() for g in seed.grids])
        if seed.cameras:
            await conn.execute(sa.insert(cameras), [_camera_row(c) for c in seed.cameras])
        if seed.sensors:
            await conn.execute(
                sa.insert(sensors),
                [
                    s.model_dump(exclude={"simulate", "grid"}) | {"grid_id": s.grid}
                    for s in seed.sensors
                ],
            )
        return True


def _camera_row(camera: CameraSeed) -> dict[str, Any]:
    url, user, password = strip_credentials(camera.stream_url)
    row = camera.model_dump(exclude={"simulate", "grid", "stream_url"})
    return row | {
        "grid_id": camera.grid,
        "stream_url": url,
        "rtsp_username": user,
        "rtsp_password": password,
    }
