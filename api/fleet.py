"""/api/v1/fleet/health: every camera's status, grouped 街道 › 社区 › 网格, with counts."""

from collections import Counter
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine
from camera_registry.schema import cameras, communities, grids, streets

router = APIRouter(prefix="/api/v1/fleet", tags=["fleet"])


class CameraDot(BaseModel):
    """One camera on the health wall."""

    id: str
    name: str
    status: str
    status_since: datetime | None
    status_reason: str | None
    enabled: bool


class GridHealth(BaseModel):
    """A 网格 and its cameras."""

    id: str
    name: str
    counts: dict[str, int]
    cameras: list[CameraDot]


class CommunityHealth(BaseModel):
    """A 社区 and its grids."""

    code: str
    name: str
    counts: dict[str, int]
    grids: list[GridHealth]


class StreetHealth(BaseModel):
    """A 街道 and its communities."""

    code: str
    name: str
    counts: dict[str, int]
    communities: list[CommunityHealth]


class FleetHealth(BaseModel):
    """The county's cameras by place, with counts by status at every level."""

    counts: dict[str, int]
    streets: list[StreetHealth]


@router.get("/health", summary="Every camera's status by street › community › grid")
async def fleet_health(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> FleetHealth:
    """Grids without cameras are left out; counts are by status (online, offline, frozen …)."""
    query = (
        sa.select(
            streets.c.code.label("street_code"),
            streets.c.name.label("street_name"),
            communities.c.code.label("community_code"),
            communities.c.name.label("community_name"),
            grids.c.id.label("grid_id"),
            grids.c.name.label("grid_name"),
            cameras.c.id,
            cameras.c.name,
            cameras.c.status,
            cameras.c.status_since,
            cameras.c.status_reason,
            cameras.c.enabled,
        )
        .join(grids, grids.c.id == cameras.c.grid_id)
        .join(communities, communities.c.code == grids.c.community_code)
        .join(streets, streets.c.code == communities.c.street_code)
        .order_by(streets.c.code, communities.c.code, grids.c.id, cameras.c.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    fleet = FleetHealth(counts={}, streets=[])
    for row in rows:
        if not fleet.streets or fleet.streets[-1].code != row["street_code"]:
            fleet.streets.append(
                StreetHealth(
                    code=row["street_code"], name=row["street_name"], counts={}, communities=[]
                )
            )
        street = fleet.streets[-1]
        if not street.communities or street.communities[-1].code != row["community_code"]:
            street.communities.append(
                CommunityHealth(
                    code=row["community_code"], name=row["community_name"], counts={}, grids=[]
                )
            )
        community = street.communities[-1]
        if not community.grids or community.grids[-1].id != row["grid_id"]:
            community.grids.append(
                GridHealth(id=row["grid_id"], name=row["grid_name"], counts={}, cameras=[])
            )
        grid = community.grids[-1]
        grid.cameras.append(CameraDot.model_validate(dict(row)))
        for level in (fleet, street, community, grid):
            level.counts = dict(Counter(level.counts) + Counter({row["status"]: 1}))
    return fleet
