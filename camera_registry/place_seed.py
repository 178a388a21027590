"""The county's place structure (街道 > 社区 > 网格 > sites) loaded into an empty registry."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import communities, grid_workers, grids, sites, streets
from camera_registry.site_types import SiteType


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommunitySeed(_Entry):
    """A 社区 and how many 网格 it has."""

    code: str = Field(pattern=r"^\d{9,16}$")
    name: str
    grids: int = Field(ge=1, le=200)


class StreetSeed(_Entry):
    """A 街道 and its communities."""

    code: str = Field(pattern=r"^\d{6,12}$")
    name: str
    communities: list[CommunitySeed]


class CompoundSeed(_Entry):
    """A smart compound (智慧小区) with ``buildings`` numbered buildings (栋)."""

    id: str
    name: str
    grid: str
    buildings: int = Field(ge=0, le=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SiteSeed(_Entry):
    """Any other site: a plaza, a parking lot, a stairwell in a building, ..."""

    id: str
    name: str
    site_type: SiteType
    grid: str
    parent: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class CountySeed(_Entry):
    """The county itself."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str


class PlacesFile(_Entry):
    """A whole places file (config/sample/dejiang_places.yaml)."""

    county: CountySeed
    streets: list[StreetSeed]
    compounds: list[CompoundSeed] = []
    sites: list[SiteSeed] = []

    def grid_rows(self) -> list[dict[str, Any]]:
        """Every grid: code = community code + 3 digits, name 第N网格."""
        return [
            {"id": f"{c.code}{n:03d}", "name": f"第{n}网格", "community_code": c.code}
            for s in self.streets
            for c in s.communities
            for n in range(1, c.grids + 1)
        ]

    def site_rows(self) -> list[dict[str, Any]]:
        """Compounds, their buildings (id ``{compound}-{n}``), then the other sites."""
        rows: list[dict[str, Any]] = []
        for c in self.compounds:
            point = {"lat": c.lat, "lon": c.lon}
            rows.append(
                {
                    "id": c.id,
                    "name": c.name,
                    "site_type": "compound",
                    "grid_id": c.grid,
                    "parent_id": None,
                    **point,
                }
            )
            rows += [
                {
                    "id": f"{c.id}-{n}",
                    "name": f"{c.name} {n}栋",
                    "site_type": "building",
                    "grid_id": c.grid,
                    "parent_id": c.id,
                    **point,
                }
                for n in range(1, c.buildings + 1)
            ]
        rows += [
            {
                "id": s.id,
                "name": s.name,
                "site_type": s.site_type,
                "grid_id": s.grid,
                "parent_id": s.parent,
                "lat": s.lat,
                "lon": s.lon,
            }
            for s in self.sites
        ]
        return rows


def read_places(path: Path) -> PlacesFile:
    """Parse and validate a places YAML file."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    return PlacesFile.model_validate(raw)


async def load_places(engine: AsyncEngine, places: PlacesFile) -> bool:
    """Insert ``places`` (and one grid worker record per grid) when the registry has no street."""
    async with engine.begin() as conn:
        if (await conn.execute(sa.select(sa.func.count()).select_from(streets))).scalar_one():
            return False
        await conn.execute(
            sa.insert(streets), [{"code": s.code, "name": s.name} for s in places.streets]
        )
        await conn.execute(
            sa.insert(communities),
            [
                {"code": c.code, "name": c.name, "street_code": s.code}
                for s in places.streets
                for c in s.communities
            ],
        )
        grid_rows = places.grid_rows()
        await conn.execute(sa.insert(grids), grid_rows)
        await conn.execute(
            sa.insert(grid_workers),
            [
                {"id": f"gw-{g['id']}", "grid_id": g["id"], "name": f"{g['name']} 网格员"}
                for g in grid_rows
            ],
        )
        site_rows = places.site_rows()
        if site_rows:
            await conn.execute(sa.insert(sites), site_rows)
        return True
