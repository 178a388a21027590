"""Which cameras a caller may see: a grid worker (网格员) only those in their own grids."""

import sqlalchemy as sa
from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth_model import Principal
from camera_registry.schema import cameras


async def camera_grid(engine: AsyncEngine, camera_id: str) -> str | None:
    """The grid a camera is in, or None when the register has no such camera."""
    async with engine.connect() as conn:
        grid: str | None = (
            await conn.execute(sa.select(cameras.c.grid_id).where(cameras.c.id == camera_id))
        ).scalar_one_or_none()
    return grid


async def visible_camera(engine: AsyncEngine, principal: Principal, camera_id: str) -> str:
    """The camera's grid; 404 when there is no such camera or it is outside the caller's grids.

    Another grid's camera is a 404 (not a 403), so a grid worker cannot tell it exists.
    """
    grid = await camera_grid(engine, camera_id)
    if grid is None or not principal.sees_grid(grid):
        raise HTTPException(404, f"no camera {camera_id}")
    return grid
