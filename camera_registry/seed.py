"""Loading a devices file (cameras and sensors placed in known grids and sites)."""

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_model import CameraIn
from camera_registry.camera_store import camera_row
from camera_registry.schema import cameras, sensors
from camera_registry.site_types import SiteType


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraSeed(_Entry):
    """One camera; ``simulate`` names the synthetic scene the demo serves for it."""

    id: str = Field(min_length=1, max_length=64)
    gb_id: str
    name: str
    grid: str
    site: str | None = None
    site_type: SiteType = "road"
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    rtsp_sub: str = ""
    simulate: Literal["street", "fire", "night"] | None = None

    def camera(self) -> CameraIn:
        """The camera this entry describes."""
        return CameraIn(
            id=self.id,
            gb_id=self.gb_id,
            name=self.name,
            grid_id=self.grid,
            site_id=self.site,
            site_type=self.site_type,
            lat=self.lat,
            lon=self.lon,
            rtsp_sub=self.rtsp_sub,
        )


class SensorSeed(_Entry):
    """One building sensor; ``simulate: alarm`` makes the demo raise its alarm."""

    id: str = Field(min_length=1, max_length=64)
    kind: str
    grid: str
    site: str | None = None
    building: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    simulate: Literal["alarm"] | None = None


class DevicesFile(_Entry):
    """A whole devices file (config/sample/dejiang_demo.yaml)."""

    cameras: list[CameraSeed] = []
    sensors: list[SensorSeed] = []


def read_devices(path: Path) -> DevicesFile:
    """Parse and validate a devices YAML file."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    return DevicesFile.model_validate(raw)


async def load_devices(engine: AsyncEngine, devices: DevicesFile, county_code: str) -> bool:
    """Insert ``devices`` when the registry holds no camera and no sensor yet."""
    async with engine.begin() as conn:
        for table in (cameras, sensors):
            if (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one():
                return False
        if devices.cameras:
            await conn.execute(
                sa.insert(cameras), [camera_row(c.camera(), county_code) for c in devices.cameras]
            )
        if devices.sensors:
            await conn.execute(
                sa.insert(sensors),
                [
                    s.model_dump(exclude={"simulate", "grid", "site"})
                    | {"grid_id": s.grid, "site_id": s.site}
                    for s in devices.sensors
                ],
            )
        return True
