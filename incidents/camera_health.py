"""Ending a camera's health incidents (``camera.*``) when its stream or picture recovers."""

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from incidents.engine import ACTIVE_STATUSES
from incidents.lifecycle import IncidentNotFound, TransitionRefused, transition
from incidents.schema import incidents
from incidents.versions import Publication

log = logging.getLogger(__name__)


async def resolve_camera_health(
    engine: AsyncEngine, camera_id: str, keep: str | None, note: str, pub: Publication
) -> None:
    """Resolve every active ``camera.*`` incident of ``camera_id`` but the ``keep`` type,
    as tianwang, with ``note``; a failure is logged, never raised."""
    t = incidents.c
    query = sa.select(t.id, t.type).where(
        t.place_key == f"camera:{camera_id}",
        t.type.like("camera.%"),
        t.status.in_(ACTIVE_STATUSES),
    )
    try:
        async with engine.connect() as conn:
            found = (await conn.execute(query)).all()
        for row in found:
            if row.type == keep:
                continue
            await transition(engine, row.id, "resolved", actor="tianwang", note=note, pub=pub)
            log.info("incident %s (%s) resolved: %s", row.id, row.type, note)
    except (sa.exc.SQLAlchemyError, TransitionRefused, IncidentNotFound) as exc:
        log.error("camera %s: could not resolve its health incidents: %s", camera_id, exc)
