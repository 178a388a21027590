"""/api/v1/incidents: the incident queue, one incident's story, and its lifecycle steps."""

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import CurrentPrincipal
from api.auth_model import Principal, Role
from api.dependencies import get_engine, get_publication
from incidents.lifecycle import IncidentNotFound, Status, TransitionRefused, history, transition
from incidents.schema import incidents, outbox
from incidents.versions import Publication

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]


class IncidentOut(BaseModel):
    """One incident, with when 一网管 last confirmed a version of it."""

    id: str
    type: str
    status: str
    severity: str
    certainty: str
    version: int
    source_kind: str
    source_id: str
    site_id: str | None
    grid_id: str | None
    sources: list[dict[str, Any]]
    opened_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    escalations: int
    detections: int
    peak_confidence: float
    evidence: dict[str, Any]
    delivered_at: datetime | None


class TransitionOut(BaseModel):
    """One audit entry: who moved the incident where, when, and why."""

    version: int
    from_status: str | None
    to_status: str
    actor: str
    note: str | None
    at: datetime


class DeliveryOut(BaseModel):
    """One message of one version to one destination."""

    id: int
    event_id: str
    version: int
    destination: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None
    last_error: str | None


class IncidentDetail(IncidentOut):
    """An incident with its audit trail and every message sent about it."""

    transitions: list[TransitionOut]
    deliveries: list[DeliveryOut]


class TransitionIn(BaseModel):
    """A lifecycle step asked for by an operator or a grid worker."""

    to: Status
    actor: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="ignored: the audit trail records the logged-in user",
        deprecated=True,
    )
    note: str | None = Field(None, max_length=1000)


GRID_WORKER_STEPS: frozenset[str] = frozenset({"on_site", "resolved"})
"""What a 网格员 may say about an incident in their grid."""


def _visible(principal: Principal) -> list[sa.ColumnElement[bool]]:
    scope = principal.grid_scope
    return [] if scope is None else [incidents.c.grid_id.in_(sorted(scope))]


def _delivered() -> sa.Label[Any]:
    return (
        sa.select(sa.func.max(outbox.c.delivered_at))
        .where(outbox.c.incident_id == incidents.c.id, outbox.c.destination == "yiwangguan")
        .scalar_subquery()
        .label("delivered_at")
    )


@router.get("", summary="List incidents, newest first")
async def get_incidents(
    engine: Engine,
    response: Response,
    principal: CurrentPrincipal,
    status: Status | None = None,
    type: Annotated[str | None, Query(max_length=64, description="e.g. fire, sensor.smoke")] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IncidentOut]:
    """Incidents ordered by opening time, newest first; the total is in ``X-Total-Count``.

    A grid worker only ever gets the incidents of their own grids.
    """
    conditions = _visible(principal)
    if status is not None:
        conditions.append(incidents.c.status == status)
    if type is not None:
        conditions.append(incidents.c.type == type)
    if grid is not None:
        conditions.append(incidents.c.grid_id == grid)
    if since is not None:
        conditions.append(incidents.c.opened_at >= since)
    if until is not None:
        conditions.append(incidents.c.opened_at < until)
    query = sa.select(incidents, _delivered()).where(*conditions)
    query = query.order_by(incidents.c.opened_at.desc(), incidents.c.id).limit(limit).offset(offset)
    async with engine.connect() as conn:
        total = (
            await conn.execute(sa.select(sa.func.count()).select_from(incidents).where(*conditions))
        ).scalar_one()
        rows = (await conn.execute(query)).mappings().all()
    response.headers["X-Total-Count"] = str(total)
    return [IncidentOut.model_validate(dict(row)) for row in rows]


@router.get("/{incident_id}", summary="One incident with its audit trail and deliveries")
async def get_incident(
    incident_id: str, engine: Engine, principal: CurrentPrincipal
) -> IncidentDetail:
    """Everything known about one incident (404 for another grid's, to a grid worker)."""
    async with engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(incidents, _delivered()).where(
                        incidents.c.id == incident_id, *_visible(principal)
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise HTTPException(404, f"no incident {incident_id}")
        sent = (
            (
                await conn.execute(
                    sa.select(outbox)
                    .where(outbox.c.incident_id == incident_id)
                    .order_by(outbox.c.id)
                )
            )
            .mappings()
            .all()
        )
    steps = await history(engine, incident_id)
    return IncidentDetail(
        **dict(row),
        transitions=[TransitionOut.model_validate(s, from_attributes=True) for s in steps],
        deliveries=[DeliveryOut.model_validate(dict(m)) for m in sent],
    )


@router.post(
    "/{incident_id}/transitions", status_code=201, summary="Move an incident along its lifecycle"
)
async def post_transition(
    incident_id: str,
    step: TransitionIn,
    engine: Engine,
    publication: Annotated[Publication, Depends(get_publication)],
    principal: CurrentPrincipal,
) -> IncidentOut:
    """Acknowledge, dispatch, on site, resolve, or false alarm; 409 if the step is not allowed.

    The step is recorded as the logged-in user's. A grid worker may only say on site or
    resolved, and only in their own grids (another grid's incident is a 404 to them).
    """
    async with engine.connect() as conn:
        seen = await conn.execute(
            sa.select(incidents.c.id).where(incidents.c.id == incident_id, *_visible(principal))
        )
        if seen.first() is None:
            raise HTTPException(404, f"no incident {incident_id}")
    if principal.role is Role.grid_worker and step.to not in GRID_WORKER_STEPS:
        raise HTTPException(403, f"a grid worker may not mark an incident {step.to}")
    try:
        await transition(
            engine, incident_id, step.to, actor=principal.user_id, note=step.note, pub=publication
        )
    except IncidentNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except TransitionRefused as exc:
        raise HTTPException(409, str(exc)) from exc
    async with engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(incidents, _delivered()).where(incidents.c.id == incident_id)
                )
            )
            .mappings()
            .one()
        )
    return IncidentOut.model_validate(dict(row))
