"""Ending cameras' health incidents (``camera.*``) when their stream or picture recovers.

When a streaming server comes back, a hundred cameras or more recover within seconds; one
transaction per incident (a connection for the incident, one for its place, one to write)
gave two or three a second in a process whose camera threads keep the GIL busy, and the
county run's recovery waited a minute on it. So the incidents of a batch of cameras are
found in one query, their places in another, and resolved a few dozen to a transaction
(SQLite has one writer for every process: a long transaction keeps the others waiting).
"""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.places import Place, places_of
from incidents.engine import ACTIVE_STATUSES
from incidents.lifecycle import TransitionRefused, step
from incidents.schema import incidents
from incidents.versions import Publication

log = logging.getLogger(__name__)

PLACE_PREFIX = "camera:"
CHUNK = 25
"""Incidents resolved in one transaction, at most."""


async def resolve_cameras_health(
    engine: AsyncEngine, cameras: Mapping[str, tuple[str | None, str]], pub: Publication
) -> int:
    """For each camera, resolve its active ``camera.*`` incidents but the type it keeps,
    with its note (``{camera_id: (keep, note)}``), ``CHUNK`` to a transaction; how many
    were resolved. A failure is logged, never raised: the next recovery resolves them."""
    if not cameras:
        return 0
    t = incidents.c
    keys = [f"{PLACE_PREFIX}{camera_id}" for camera_id in cameras]
    query = sa.select(t.id, t.type, t.place_key).where(
        t.place_key.in_(keys), t.type.like("camera.%"), t.status.in_(ACTIVE_STATUSES)
    )
    try:
        async with engine.connect() as conn:
            found = [
                (row.id, row.type, camera_id)
                for row in (await conn.execute(query)).all()
                if row.type != cameras[camera_id := row.place_key.removeprefix(PLACE_PREFIX)][0]
            ]
        if not found:
            return 0
        places = await places_of(engine, "camera", sorted({camera for _, _, camera in found}))
        resolved = 0
        for start in range(0, len(found), CHUNK):
            resolved += await _resolve(engine, found[start : start + CHUNK], cameras, places, pub)
        return resolved
    except sa.exc.SQLAlchemyError as exc:
        log.error("could not resolve the health incidents of %d camera(s): %s", len(cameras), exc)
        return 0


async def _resolve(
    engine: AsyncEngine,
    found: list[tuple[str, str, str]],
    cameras: Mapping[str, tuple[str | None, str]],
    places: Mapping[str, Place],
    pub: Publication,
) -> int:
    """Resolve ``found`` (incident, type, camera) in one transaction; how many were."""
    now = datetime.now(UTC)
    resolved = 0
    async with engine.begin() as conn:
        for incident_id, itype, camera_id in found:
            note = cameras[camera_id][1]
            try:
                await step(
                    conn,
                    incident_id,
                    "resolved",
                    places.get(camera_id),
                    pub,
                    now,
                    actor="tianwang",
                    note=note,
                )
            except TransitionRefused:
                continue  # an operator closed it meanwhile
            resolved += 1
            log.info("incident %s (%s) resolved: %s", incident_id, itype, note)
    return resolved
