"""The incident lifecycle: open → acknowledged → dispatched → on_site → resolved, or
false_alarm from any open state. Steps may be skipped, never taken back; every step is a
new version with who, when and a note."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.places import Place, place_of
from incidents.schema import incident_transitions, incidents
from incidents.versions import Publication, change_version

Status = Literal["open", "acknowledged", "dispatched", "on_site", "resolved", "false_alarm"]
STATUSES: tuple[str, ...] = get_args(Status)
FORWARD = ("open", "acknowledged", "dispatched", "on_site", "resolved")
CLOSED = frozenset({"resolved", "false_alarm"})


class TransitionRefused(ValueError):
    """A step the lifecycle does not allow (the message says why)."""


class IncidentNotFound(LookupError):
    """No incident with that id."""


def allowed(current: str, to: str) -> bool:
    """Forward along the lifecycle (skipping is fine), or false_alarm, from any open state."""
    if current in CLOSED or to not in STATUSES:
        return False
    if to == "false_alarm":
        return True
    return FORWARD.index(to) > FORWARD.index(current)


@dataclass(frozen=True, slots=True)
class Transition:
    """One audit entry."""

    version: int
    from_status: str | None
    to_status: str
    actor: str
    note: str | None
    at: datetime


async def transition(
    engine: AsyncEngine,
    incident_id: str,
    to: Status,
    *,
    actor: str,
    note: str | None,
    pub: Publication,
) -> Any:
    """Move an incident to ``to`` as its next version; returns the updated row."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(sa.select(incidents).where(incidents.c.id == incident_id))
        ).first()
    if row is None:
        raise IncidentNotFound(f"no incident {incident_id}")
    place = await place_of(engine, row.source_kind, row.source_id)
    async with engine.begin() as conn:
        return await step(
            conn, incident_id, to, place, pub, datetime.now(UTC), actor=actor, note=note
        )


async def step(
    conn: AsyncConnection,
    incident_id: str,
    to: Status,
    place: Place | None,
    pub: Publication,
    now: datetime,
    *,
    actor: str,
    note: str | None,
) -> Any:
    """In ``conn``'s transaction: move an incident at ``place`` to ``to`` as its next
    version; returns the updated row, raises TransitionRefused if the lifecycle forbids it."""
    current = (
        await conn.execute(
            sa.select(incidents.c.status).where(incidents.c.id == incident_id).with_for_update()
        )
    ).one()
    if not allowed(current.status, to):
        raise TransitionRefused(f"incident {incident_id} is {current.status}: cannot become {to}")
    changes: dict[str, Any] = {"status": to, "status_changed_at": now}
    if to in CLOSED:
        changes["closed_at"] = now
    return await change_version(conn, incident_id, changes, place, pub, now, actor=actor, note=note)


async def history(engine: AsyncEngine, incident_id: str) -> list[Transition]:
    """An incident's audit trail, oldest first."""
    query = (
        sa.select(
            incident_transitions.c.version,
            incident_transitions.c.from_status,
            incident_transitions.c.to_status,
            incident_transitions.c.actor,
            incident_transitions.c.note,
            incident_transitions.c.at,
        )
        .where(incident_transitions.c.incident_id == incident_id)
        .order_by(incident_transitions.c.id)
    )
    async with engine.connect() as conn:
        return [Transition(**r) for r in (await conn.execute(query)).mappings().all()]
