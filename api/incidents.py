"""/api/v1/incidents: the incident queue."""

from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine
from incidents.schema import incidents, outbox

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Status = Literal["open", "acknowledged", "dispatched", "on_site", "resolved", "false_alarm"]


class IncidentOut(BaseModel):
    """One incident with its delivery state."""

    id: str
    type: str
    status: str
    severity: str
    source_kind: str
    source_id: str
    grid_id: str | None
    opened_at: datetime
    last_seen_at: datetime
    detections: int
    peak_confidence: float
    evidence: dict[str, Any]
    delivered_at: datetime | None


@router.get("", summary="List incidents, newest first")
async def get_incidents(
    engine: Annotated[AsyncEngine, Depends(get_engine)],
    status: Annotated[Status | None, Query(description="only this status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IncidentOut]:
    """Incidents ordered by opening time, newest first, with when 一网管 got them."""
    delivered = (
        sa.select(sa.func.max(outbox.c.delivered_at))
        .where(outbox.c.incident_id == incidents.c.id)
        .scalar_subquery()
        .label("delivered_at")
    )
    query = sa.select(incidents, delivered).order_by(incidents.c.opened_at.desc(), incidents.c.id)
    if status is not None:
        query = query.where(incidents.c.status == status)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.limit(limit).offset(offset))).mappings().all()
    return [IncidentOut.model_validate(dict(row)) for row in rows]
