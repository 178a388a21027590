"""/api/v1/cameras: the register, never with credentials."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine
from camera_registry.credentials import mask_url
from camera_registry.queries import list_cameras

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])


class CameraOut(BaseModel):
    """A camera as the API shows it: stream URL masked, no password."""

    id: str
    gb_id: str = Field(description="20-digit GB/T 28181 device ID")
    name: str
    grid_id: str
    lat: float | None = Field(description="WGS-84")
    lon: float | None = Field(description="WGS-84")
    stream_url: str = Field(description="sub-stream URL, credentials masked")
    enabled: bool
    status: str
    status_since: datetime | None
    status_reason: str | None


@router.get("", summary="List cameras")
async def get_cameras(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> list[CameraOut]:
    """Every camera in the register, ordered by id."""
    return [
        CameraOut.model_validate(
            {
                **{f: getattr(c, f) for f in CameraOut.model_fields},
                "stream_url": mask_url(c.stream_url),
            }
        )
        for c in await list_cameras(engine)
    ]
