"""Every change to an incident is a new version: the row, its audit entry and its messages,
written in one transaction (the transactional outbox)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from camera_registry.places import Place
from incidents.catalogue import incident_type
from incidents.messages import IncidentVersion, cloud_event
from incidents.routing import route
from incidents.schema import incident_transitions, incidents, outbox


@dataclass(frozen=True, slots=True)
class Publication:
    """How messages are stamped: CloudEvents source, CAP status, the county."""

    source: str
    cap_status: str
    county_code: str


async def _enqueue(
    conn: AsyncConnection,
    row: Any,
    place: Place | None,
    pub: Publication,
    note: str | None,
    now: datetime,
) -> None:
    itype = incident_type(row.type)
    routed = await route(conn, row.grid_id, itype.family)
    if not routed.destinations:
        return
    version = IncidentVersion(
        incident_id=row.id,
        version=row.version,
        status=row.status,
        itype=itype,
        severity=row.severity,
        certainty=row.certainty,
        opened_at=row.opened_at,
        changed_at=now,
        sources=row.sources,
        evidence=row.evidence,
        place=place,
        county_code=pub.county_code,
        workers=routed.workers,
        note=note,
    )
    earlier = []
    if row.version > 1:  # the first version references nothing
        query = sa.select(outbox.c.destination, outbox.c.event_id).where(
            outbox.c.incident_id == row.id
        )
        earlier = list((await conn.execute(query.order_by(outbox.c.id))).all())
    rows = []
    for destination in routed.destinations:
        event_id = str(uuid.uuid4())
        references = [e.event_id for e in earlier if e.destination == destination]
        payload = cloud_event(
            version,
            event_id=event_id,
            source=pub.source,
            cap_status=pub.cap_status,
            references=references,
        )
        rows.append(
            {
                "event_id": event_id,
                "incident_id": row.id,
                "version": row.version,
                "destination": destination,
                "payload": payload,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    await conn.execute(sa.insert(outbox), rows)


async def _audit(
    conn: AsyncConnection,
    row: Any,
    from_status: str | None,
    actor: str,
    note: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        sa.insert(incident_transitions).values(
            incident_id=row.id,
            version=row.version,
            from_status=from_status,
            to_status=row.status,
            actor=actor,
            note=note,
            at=now,
        )
    )


async def open_version(
    conn: AsyncConnection,
    values: dict[str, Any],
    place: Place | None,
    pub: Publication,
    now: datetime,
    actor: str = "tianwang",
) -> Any:
    """Insert a new incident (version 1) with its audit entry and messages; returns the row."""
    row_values = {**values, "version": 1, "closed_at": None, "escalations": 0}
    await conn.execute(sa.insert(incidents).values(row_values))
    row = SimpleNamespace(**row_values)
    await _audit(conn, row, None, actor, None, now)
    await _enqueue(conn, row, place, pub, None, now)
    return row


async def change_version(
    conn: AsyncConnection,
    incident_id: str,
    changes: dict[str, Any],
    place: Place | None,
    pub: Publication,
    now: datetime,
    *,
    actor: str,
    note: str | None,
) -> Any:
    """Apply ``changes`` as the next version, with its audit entry and messages; returns the row."""
    before = (
        await conn.execute(sa.select(incidents.c.status).where(incidents.c.id == incident_id))
    ).one()
    await conn.execute(
        sa.update(incidents)
        .where(incidents.c.id == incident_id)
        .values({**changes, "version": incidents.c.version + 1})
    )
    row = (await conn.execute(sa.select(incidents).where(incidents.c.id == incident_id))).one()
    await _audit(conn, row, before.status, actor, note, now)
    await _enqueue(conn, row, place, pub, note, now)
    return row
