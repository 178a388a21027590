"""Who hears about an incident: 一网管 always, and the grid's workers (MQTT topic, webhooks)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from camera_registry.schema import grid_workers

YIWANGGUAN = "yiwangguan"


@dataclass(frozen=True, slots=True)
class Route:
    """The outbox destinations of one incident and the workers it is dispatched to."""

    destinations: list[str]
    workers: list[dict[str, str]]


def grid_destination(grid_id: str) -> str:
    """The outbox destination that publishes on the grid's MQTT alert topic."""
    return f"grid:{grid_id}"


def webhook_destination(worker_id: str) -> str:
    """The outbox destination that POSTs to one grid worker's webhook."""
    return f"webhook:{worker_id}"


INTERNAL_FAMILIES = frozenset({"health"})
"""Incidents a device raises about itself (camera offline, frozen, covered; sensor offline,
battery low) are for the inventory manager in tianwang, not for 一网管 or the grid worker."""


async def route(conn: AsyncConnection, grid_id: str | None, family: str = "") -> Route:
    """一网管, the grid's alert topic, and each active worker of the grid with a webhook;
    nobody outside for a device's report about itself."""
    if family in INTERNAL_FAMILIES:
        return Route([], [])
    if grid_id is None:
        return Route([YIWANGGUAN], [])
    query = (
        sa.select(grid_workers.c.id, grid_workers.c.name, grid_workers.c.webhook_url)
        .where(grid_workers.c.grid_id == grid_id, grid_workers.c.active)
        .order_by(grid_workers.c.id)
    )
    workers = (await conn.execute(query)).all()
    destinations = [YIWANGGUAN, grid_destination(grid_id)]
    destinations += [webhook_destination(w.id) for w in workers if w.webhook_url]
    return Route(destinations, [{"id": w.id, "name": w.name} for w in workers])
