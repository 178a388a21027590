"""Detections become incidents: one per real event.

* **Dedup**: while an incident of a kind is active at a place (a camera, or the building a
  sensor is in), further detections update it (last seen, peak confidence, evidence).
* **Cooldown**: after it closes, the same kind at the same place opens nothing new for
  the kind's cooldown; those detections are counted as suppressed.
* **Fusion**: a fire-family sensor alarm in a building and a camera fire or smoke detection
  at a camera that sees that building, within the fusion window, are one incident, with
  certainty Observed and severity one step up. The alarm also asks for the building's
  cameras to go into focus.
* **Escalation**: an open incident not acknowledged within its kind's time is re-alerted
  one severity step up (see ``escalate_due``).
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.places import Place, cameras_covering, place_of, sites_seen_by
from detectors.model import SNAPSHOT, Detection
from incidents.catalogue import CATALOGUE, IncidentType, incident_type, raised
from incidents.evidence import absorbed, evidence_of, merge_evidence, source_entry
from incidents.metrics import DETECTIONS, OPENED, SUPPRESSED
from incidents.schema import incidents
from incidents.versions import Publication, change_version, open_version

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("open", "acknowledged", "dispatched", "on_site")
CLOSED_STATUSES = ("resolved", "false_alarm")

FocusRequest = Callable[[list[str], float], None]
"""Asks for these cameras to go into focus for this many seconds (handed in by tianwang)."""


@dataclass(frozen=True, slots=True)
class Timings:
    """Fusion window and per-kind overrides of the catalogue's escalation and cooldown times."""

    fusion_window_s: float = 300.0
    focus_s: float = 60.0
    escalate_s: dict[str, float] = field(default_factory=dict)
    cooldown_s: dict[str, float] = field(default_factory=dict)

    def escalate(self, t: IncidentType) -> float:
        """Seconds an open incident of this kind waits for an acknowledgement."""
        return self.escalate_s.get(t.kind, self.escalate_s.get("*", t.escalate_s))

    def cooldown(self, t: IncidentType) -> float:
        """Seconds after closing before this kind at this place opens again."""
        return self.cooldown_s.get(t.kind, self.cooldown_s.get("*", t.cooldown_s))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What recording one detection did."""

    incident_id: str | None
    action: Literal["opened", "updated", "fused", "suppressed"]


class IncidentEngine:
    """Records detections as incidents and advances their lifecycle, in the shared database."""

    def __init__(
        self,
        engine: AsyncEngine,
        publication: Publication,
        *,
        timings: Timings = Timings(),
        snapshot_url: Callable[[str], str] = lambda path: path,
        focus: FocusRequest | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self.publication = publication
        self.timings = timings
        self._snapshot_url = snapshot_url
        self._focus = focus
        self._now = clock
        self._background: set[asyncio.Task[None]] = set()

    async def record(self, detection: Detection) -> Outcome:
        """Open, update, fuse into or suppress an incident for ``detection``."""
        DETECTIONS.labels(detection.kind).inc()
        if detection.kind == SNAPSHOT:
            return await self._attach(detection)
        itype = incident_type(detection.kind)
        place = await place_of(self._engine, detection.source_kind, detection.source_id)
        site = place.site_id if place and detection.source_kind == "sensor" else None
        place_key = f"site:{site}" if site else f"{detection.source_kind}:{detection.source_id}"
        seen_sites = await self._sites(detection, place)
        evidence = await self._evidence(detection)
        now = self._now()
        async with self._engine.begin() as conn:
            same = await self._active(
                conn, incidents.c.place_key == place_key, incidents.c.type == detection.kind
            )
            if same is not None:
                await self._update(conn, same, detection, place, evidence)
                return Outcome(same.id, "updated")
            if itype.family == "fire":
                partner = await self._fusion_partner(conn, detection, seen_sites, now)
                if partner is not None:
                    await self._fuse(conn, partner, detection, place, evidence, now)
                    self._ask_focus(seen_sites)
                    return Outcome(partner.id, "fused")
            if await self._cooling(conn, place_key, itype, now):
                SUPPRESSED.labels(detection.kind).inc()
                return Outcome(None, "suppressed")
            incident_id = str(uuid.uuid4())
            values = {
                "id": incident_id,
                "type": detection.kind,
                "status": "open",
                "severity": itype.severity,
                "certainty": itype.certainty,
                "source_kind": detection.source_kind,
                "source_id": detection.source_id,
                "place_key": place_key,
                "site_id": site or (seen_sites[0] if len(seen_sites) == 1 else None),
                "grid_id": place.grid_id if place else None,
                "sources": [source_entry(detection, place)],
                "opened_at": detection.at,
                "last_seen_at": detection.at,
                "status_changed_at": now,
                "detections": 1,
                "peak_confidence": detection.confidence,
                "evidence": merge_evidence({}, evidence),
            }
            await open_version(conn, values, place, self.publication, now)
        OPENED.labels(detection.kind).inc()
        log.info(
            "incident %s opened: %s at %s %s (grid %s)",
            incident_id,
            detection.kind,
            detection.source_kind,
            detection.source_id,
            place.grid_id if place else "unknown",
        )
        if itype.family == "fire" and detection.source_kind == "sensor":
            self._ask_focus(seen_sites)
        return Outcome(incident_id, "opened")

    async def _attach(self, snapshot: Detection) -> Outcome:
        """A picture as evidence: of the camera's own incident it was taken for (a
        main-stream picture), else of the fire-family incident of a place it looks at (a
        picture asked for on an alarm)."""
        sites = await self._sites(snapshot, None)
        evidence = await self._evidence(snapshot)
        async with self._engine.begin() as conn:
            target = None
            if snapshot.evidence_for is not None:  # the camera's own incident of that kind
                target = await self._active(
                    conn,
                    incidents.c.place_key == f"camera:{snapshot.source_id}",
                    incidents.c.type == snapshot.evidence_for,
                )
            if target is None:  # or one it was fused into, or an alarm's it was asked for
                target = await self._fusion_partner(conn, snapshot, sites, self._now())
            if target is None:
                return Outcome(None, "suppressed")
            merged = merge_evidence(target.evidence, evidence)
            stream = "main-stream " if snapshot.evidence_for else ""
            note = f"{stream}snapshot from camera {snapshot.source_id} attached"
            place = await self._place_of_row(target)
            await change_version(
                conn,
                target.id,
                {"evidence": merged},
                place,
                self.publication,
                self._now(),
                actor="tianwang",
                note=note,
            )
        log.info("incident %s: snapshot from camera %s attached", target.id, snapshot.source_id)
        return Outcome(target.id, "updated")

    async def _sites(self, detection: Detection, place: Place | None) -> list[str]:
        if detection.source_kind == "camera":
            return await sites_seen_by(self._engine, detection.source_id)
        return [place.site_id] if place and place.site_id else []

    def _ask_focus(self, sites: list[str]) -> None:
        if self._focus is None or not sites:
            return
        task = asyncio.create_task(self._focus_sites(sites))
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: "asyncio.Task[None]") -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("focus request failed: %s", task.exception())

    async def _focus_sites(self, sites: list[str]) -> None:
        cameras = sorted({c for s in sites for c in await cameras_covering(self._engine, s)})
        if cameras and self._focus is not None:
            self._focus(cameras, self.timings.focus_s)

    async def _evidence(self, detection: Detection) -> dict[str, Any]:
        return await evidence_of(detection, self._snapshot_url)

    async def _active(self, conn: AsyncConnection, *where: sa.ColumnElement[bool]) -> Any:
        query = (
            sa.select(incidents)
            .where(incidents.c.status.in_(ACTIVE_STATUSES), *where)
            .order_by(incidents.c.opened_at.desc())
            .limit(1)
            .with_for_update()
        )
        return (await conn.execute(query)).first()

    async def _update(
        self,
        conn: AsyncConnection,
        row: Any,
        d: Detection,
        place: Place | None,
        evidence: dict[str, Any],
    ) -> None:
        changes = absorbed(row, d, place, evidence)
        await conn.execute(sa.update(incidents).where(incidents.c.id == row.id).values(changes))

    async def _fusion_partner(
        self, conn: AsyncConnection, d: Detection, sites: list[str], now: datetime
    ) -> Any:
        if not sites:
            return None
        fire_kinds = [k for k, t in CATALOGUE.items() if t.family == "fire"]
        since = now - timedelta(seconds=self.timings.fusion_window_s)
        at_site: sa.ColumnElement[bool] = incidents.c.site_id.in_(sites)
        if d.source_kind == "sensor":
            cameras = {c for s in sites for c in await cameras_covering(self._engine, s)}
            if cameras:
                at_site = sa.or_(
                    at_site,
                    sa.and_(
                        incidents.c.source_kind == "camera", incidents.c.source_id.in_(cameras)
                    ),
                )
        return await self._active(
            conn, incidents.c.type.in_(fire_kinds), at_site, incidents.c.last_seen_at >= since
        )

    async def _fuse(
        self,
        conn: AsyncConnection,
        row: Any,
        d: Detection,
        place: Place | None,
        evidence: dict[str, Any],
        now: datetime,
    ) -> None:
        changes = absorbed(row, d, place, evidence)
        cross_modal = {src["kind"] for src in changes["sources"]} == {"camera", "sensor"}
        newly_confirmed = cross_modal and row.certainty != "Observed"
        if not newly_confirmed:
            await conn.execute(sa.update(incidents).where(incidents.c.id == row.id).values(changes))
            return
        changes |= {"certainty": "Observed", "severity": raised(row.severity)}
        note = f"fused: {d.kind} from {d.source_kind} {d.source_id} confirms it"
        await change_version(
            conn,
            row.id,
            changes,
            await self._place_of_row(row),
            self.publication,
            now,
            actor="tianwang",
            note=note,
        )
        log.info(
            "incident %s fused with %s %s: certainty Observed", row.id, d.source_kind, d.source_id
        )

    async def _cooling(
        self, conn: AsyncConnection, place_key: str, itype: IncidentType, now: datetime
    ) -> bool:
        since = now - timedelta(seconds=self.timings.cooldown(itype))
        query = sa.select(incidents.c.id).where(
            incidents.c.place_key == place_key,
            incidents.c.type == itype.kind,
            incidents.c.status.in_(CLOSED_STATUSES),
            incidents.c.closed_at >= since,
        )
        return (await conn.execute(query.limit(1))).first() is not None

    async def _place_of_row(self, row: Any) -> Place | None:
        return await place_of(self._engine, row.source_kind, row.source_id)

    async def escalate_due(self) -> list[str]:
        """Re-alert, one severity up, every open incident past its acknowledgement time."""
        now = self._now()
        async with self._engine.connect() as conn:
            candidates = (
                await conn.execute(sa.select(incidents).where(incidents.c.status == "open"))
            ).all()
        due = [
            r
            for r in candidates
            if (now - r.status_changed_at).total_seconds()
            >= self.timings.escalate(incident_type(r.type))
        ]
        escalated = []
        for row in due:
            place = await self._place_of_row(row)
            async with self._engine.begin() as conn:
                current = (
                    await conn.execute(
                        sa.select(incidents.c.status, incidents.c.status_changed_at)
                        .where(incidents.c.id == row.id)
                        .with_for_update()
                    )
                ).one()
                if current.status != "open" or current.status_changed_at != row.status_changed_at:
                    continue  # acknowledged or escalated meanwhile
                wait = self.timings.escalate(incident_type(row.type))
                note = f"escalated: not acknowledged within {wait:g} s"
                changes = {
                    "severity": raised(row.severity),
                    "escalations": row.escalations + 1,
                    "status_changed_at": now,
                }
                await change_version(
                    conn, row.id, changes, place, self.publication, now, actor="tianwang", note=note
                )
            escalated.append(row.id)
            log.warning("incident %s %s", row.id, note)
        return escalated

    async def run_escalation(self, period_s: float = 5.0) -> None:
        """Check for incidents to escalate every ``period_s``, until cancelled."""
        while True:
            await self.escalate_due()
            await asyncio.sleep(period_s)
