"""Liveness: is the service up and can it reach its database."""

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Service and database liveness")
async def healthz(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> JSONResponse:
    """200 with ``{"status": "ok"}`` when the database answers, 503 otherwise."""
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return JSONResponse({"status": "degraded", "database": str(exc)[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
