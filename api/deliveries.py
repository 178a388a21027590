"""/api/v1/deliveries: messages that could not be delivered, and replaying them."""

from datetime import UTC, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import Path as FastApiPath
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_engine
from api.incidents import DeliveryOut
from incidents.schema import outbox

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]


@router.get("", summary="Messages by delivery state")
async def get_deliveries(
    engine: Engine,
    state: Literal["dead", "pending", "delivered"] = "dead",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    """Dead letters (refused for good) by default; or what is still pending, or delivered."""
    where = {
        "dead": outbox.c.dead_at.is_not(None),
        "pending": sa.and_(outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None)),
        "delivered": outbox.c.delivered_at.is_not(None),
    }[state]
    async with engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    sa.select(outbox).where(where).order_by(outbox.c.id.desc()).limit(limit)
                )
            )
            .mappings()
            .all()
        )
    return [DeliveryOut.model_validate(dict(r)) for r in rows]


@router.post("/{delivery_id}/replay", summary="Send a dead letter again")
async def replay(
    delivery_id: Annotated[int, FastApiPath(ge=1, le=2**63 - 1)], engine: Engine
) -> DeliveryOut:
    """Put a dead (or pending) message back in the queue, due now, with the same id."""
    async with engine.begin() as conn:
        row = (
            (await conn.execute(sa.select(outbox).where(outbox.c.id == delivery_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise HTTPException(404, f"no delivery {delivery_id}")
        if row["delivered_at"] is not None:
            raise HTTPException(409, f"delivery {delivery_id} was delivered already")
        await conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == delivery_id)
            .values(dead_at=None, attempts=0, next_attempt_at=datetime.now(UTC))
        )
        fresh = (
            (await conn.execute(sa.select(outbox).where(outbox.c.id == delivery_id)))
            .mappings()
            .one()
        )
    return DeliveryOut.model_validate(dict(fresh))
