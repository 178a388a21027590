"""/api/v1/places: 街道 > 社区 > 网格 > sites."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine
from camera_registry.places import places_tree

router = APIRouter(prefix="/api/v1/places", tags=["places"])


@router.get("", summary="The place tree")
async def get_places(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> list[dict[str, Any]]:
    """Streets with their communities, grids (workers, sites, camera counts)."""
    return await places_tree(engine)
