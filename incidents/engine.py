"""Detections become incidents: one active incident per (source, type), opened with its outbox row.

Opening an incident and queueing its delivery happen in one transaction, so an incident
is never opened without its event and never announced without being stored.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.places import place_of
from detectors.model import Detection
from incidents.catalogue import incident_type
from incidents.cloudevent import incident_event
from incidents.metrics import DETECTIONS, OPENED
from incidents.schema import incidents, outbox

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("open", "acknowledged", "dispatched", "on_site")
DESTINATION = "yiwangguan"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What recording one detection did."""

    incident_id: str
    opened: bool


def evidence_of(detection: Detection) -> dict[str, Any]:
    """The evidence a detection carries: box, snapshot, sensor reading, detector figures."""
    evidence: dict[str, Any] = {"detected_at": detection.at.isoformat()}
    if detection.box is not None:
        evidence["box"] = list(detection.box)
    if detection.snapshot is not None:
        evidence["snapshot"] = detection.snapshot
    if detection.reading is not None:
        r = detection.reading
        evidence["reading"] = {
            "kind": r.kind,
            "value": r.value,
            "unit": r.unit,
            "at": r.at.isoformat(),
        }
    if detection.attributes:
        evidence["attributes"] = dict(detection.attributes)
    return evidence


class IncidentEngine:
    """Records detections as incidents in the database shared with the registry."""

    def __init__(self, engine: AsyncEngine, source: str) -> None:
        self._engine = engine
        self._source = source

    async def record(self, detection: Detection) -> Outcome:
        """Update the active incident of this source and type, or open one with its event."""
        DETECTIONS.labels(detection.kind).inc()
        place = await place_of(self._engine, detection.source_kind, detection.source_id)
        async with self._engine.begin() as conn:
            active = await self._active(conn, detection)
            if active is not None:
                await conn.execute(
                    sa.update(incidents)
                    .where(incidents.c.id == active.id)
                    .values(
                        last_seen_at=detection.at,
                        detections=incidents.c.detections + 1,
                        peak_confidence=max(active.peak_confidence, detection.confidence),
                        evidence=evidence_of(detection),
                    )
                )
                return Outcome(active.id, opened=False)
            incident_id = str(uuid.uuid4())
            itype = incident_type(detection.kind)
            evidence = evidence_of(detection)
            now = datetime.now(UTC)
            await conn.execute(
                sa.insert(incidents).values(
                    id=incident_id,
                    type=detection.kind,
                    status="open",
                    severity=itype.severity,
                    source_kind=detection.source_kind,
                    source_id=detection.source_id,
                    grid_id=place.grid_id if place else None,
                    opened_at=detection.at,
                    last_seen_at=detection.at,
                    detections=1,
                    peak_confidence=detection.confidence,
                    evidence=evidence,
                )
            )
            event_id = str(uuid.uuid4())
            event = incident_event(
                event_id=event_id,
                source=self._source,
                incident_id=incident_id,
                itype=itype,
                status="open",
                opened_at=detection.at,
                source_kind=detection.source_kind,
                source_id=detection.source_id,
                confidence=detection.confidence,
                evidence=evidence,
                place=place,
            )
            await conn.execute(
                sa.insert(outbox).values(
                    event_id=event_id,
                    incident_id=incident_id,
                    destination=DESTINATION,
                    payload=event,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        OPENED.labels(detection.kind).inc()
        log.info(
            "incident %s opened: %s at %s %s (grid %s)",
            incident_id,
            detection.kind,
            detection.source_kind,
            detection.source_id,
            place.grid_id if place else "unknown",
        )
        return Outcome(incident_id, opened=True)

    async def _active(self, conn: AsyncConnection, detection: Detection) -> sa.Row[Any, Any] | None:
        query = (
            sa.select(incidents.c.id, incidents.c.peak_confidence)
            .where(
                incidents.c.source_kind == detection.source_kind,
                incidents.c.source_id == detection.source_id,
                incidents.c.type == detection.kind,
                incidents.c.status.in_(ACTIVE_STATUSES),
            )
            .order_by(incidents.c.opened_at.desc())
            .limit(1)
            .with_for_update()
        )
        return (await conn.execute(query)).first()
