"""/api/v1/map: what the console's offline map draws — grid outlines, cameras, incidents.

No tiles: the browser draws an SVG from these points. Grid outlines are derived here from
the register's points (api/grid_outlines.py). A grid worker's map holds their grids only.
"""

from collections import defaultdict
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import CurrentPrincipal
from api.auth_model import Principal
from api.dependencies import get_engine
from api.grid_outlines import LatLon, grid_outline
from camera_registry.schema import cameras, communities, grids, sensors, sites, streets
from incidents.schema import incidents

router = APIRouter(prefix="/api/v1/map", tags=["map"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]


class GridArea(BaseModel):
    """A 网格 drawn as the rounded hull of its points (an approximation, not a boundary)."""

    id: str
    name: str
    community: str
    street: str
    outline: list[tuple[float, float]] = Field(description="(lat, lon) WGS-84, counter-clockwise")


class CameraPoint(BaseModel):
    """A camera on the map."""

    id: str
    name: str
    grid_id: str
    status: str
    lat: float
    lon: float


class IncidentPoint(BaseModel):
    """An incident on the map, at its source's point (camera or sensor)."""

    id: str
    type: str
    severity: str
    status: str
    grid_id: str | None
    lat: float
    lon: float


class MapData(BaseModel):
    """Everything the offline map draws."""

    grids: list[GridArea]
    cameras: list[CameraPoint]
    incidents: list[IncidentPoint]


def _scoped(
    column: sa.ColumnElement[str | None], principal: Principal
) -> list[sa.ColumnElement[bool]]:
    scope = principal.grid_scope
    return [] if scope is None else [column.in_(sorted(scope))]


@router.get("", summary="Grid outlines, cameras and incidents for the offline map")
async def get_map(
    engine: Engine,
    principal: CurrentPrincipal,
    incident: Annotated[
        str | None, Query(max_length=64, description="also this incident, even if closed")
    ] = None,
) -> MapData:
    """Open incidents (and ``incident`` if given) at their source's point; 404 if that
    incident is unknown or not the caller's to see."""
    located = sa.and_(cameras.c.lat.is_not(None), cameras.c.lon.is_not(None))
    camera_rows = (
        sa.select(
            cameras.c.id,
            cameras.c.name,
            cameras.c.grid_id,
            cameras.c.status,
            cameras.c.lat,
            cameras.c.lon,
        )
        .where(located, *_scoped(cameras.c.grid_id, principal))
        .order_by(cameras.c.id)
    )
    points = sa.union_all(
        sa.select(cameras.c.grid_id, cameras.c.lat, cameras.c.lon),
        sa.select(sites.c.grid_id, sites.c.lat, sites.c.lon),
        sa.select(sensors.c.grid_id, sensors.c.lat, sensors.c.lon),
    ).subquery()
    grid_rows = (
        sa.select(
            grids.c.id,
            grids.c.name,
            communities.c.name.label("community"),
            streets.c.name.label("street"),
        )
        .join(communities, communities.c.code == grids.c.community_code)
        .join(streets, streets.c.code == communities.c.street_code)
        .where(*_scoped(grids.c.id, principal))
        .order_by(grids.c.id)
    )
    wanted: sa.ColumnElement[bool] = incidents.c.closed_at.is_(None)
    if incident is not None:
        wanted = sa.or_(wanted, incidents.c.id == incident)
    lat = sa.func.coalesce(cameras.c.lat, sensors.c.lat).label("lat")
    lon = sa.func.coalesce(cameras.c.lon, sensors.c.lon).label("lon")
    incident_rows = (
        sa.select(
            incidents.c.id,
            incidents.c.type,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.grid_id,
            lat,
            lon,
        )
        .outerjoin(
            cameras,
            sa.and_(incidents.c.source_kind == "camera", cameras.c.id == incidents.c.source_id),
        )
        .outerjoin(
            sensors,
            sa.and_(incidents.c.source_kind == "sensor", sensors.c.id == incidents.c.source_id),
        )
        .where(wanted, *_scoped(incidents.c.grid_id, principal))
        .order_by(incidents.c.opened_at.desc())
        .limit(500)
    )
    async with engine.connect() as conn:
        placed = (
            await conn.execute(
                sa.select(points.c.grid_id, points.c.lat, points.c.lon).where(
                    points.c.lat.is_not(None), points.c.lon.is_not(None)
                )
            )
        ).all()
        area_rows = (await conn.execute(grid_rows)).mappings().all()
        camera_points = [
            CameraPoint.model_validate(dict(r))
            for r in (await conn.execute(camera_rows)).mappings()
        ]
        incident_found = (await conn.execute(incident_rows)).mappings().all()
    by_grid: dict[str, list[LatLon]] = defaultdict(list)
    for grid_id, p_lat, p_lon in placed:
        by_grid[grid_id].append((float(p_lat), float(p_lon)))
    areas = [
        GridArea(**dict(r), outline=grid_outline(by_grid[r["id"]]))
        for r in area_rows
        if by_grid.get(r["id"])
    ]
    if incident is not None and not any(r["id"] == incident for r in incident_found):
        raise HTTPException(404, f"no incident {incident}")
    return MapData(
        grids=areas,
        cameras=camera_points,
        incidents=[
            IncidentPoint.model_validate(dict(r))
            for r in incident_found
            if r["lat"] is not None and r["lon"] is not None
        ],
    )
