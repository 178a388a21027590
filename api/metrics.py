"""/metrics for Prometheus, and the API's own request counts and latencies.

/metrics needs an API token (or a session) of a role that reads the fleet: the figures
name cameras' states and the queue's size, which are not for anonymous eyes. Prometheus
sends the token with ``authorization: {type: Bearer, credentials: tw_…}``.

The process's counters (ingest, detectors, incidents, delivery, API) are joined at scrape
time by figures read from the database, which hold for the whole fleet whichever process
is scraped: incidents by status, the outbox's backlog and dead letters, cameras by status.
"""

import time
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dependencies import get_engine
from camera_registry.schema import cameras
from incidents import metrics as incident_metrics
from incidents.schema import incidents, outbox
from ingest import metrics as ingest_metrics

router = APIRouter(tags=["metrics"])
# The families of every room are registered even in a process that only serves the API,
# so a dashboard's queries find them (at zero) whichever process is scraped.
REGISTERED_FAMILIES = (ingest_metrics, incident_metrics)

REQUESTS = Counter(
    "tianwang_api_requests",
    "API requests, by method, route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "tianwang_api_request_seconds",
    "API request duration, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INCIDENTS_BY_STATUS = Gauge(
    "tianwang_incidents_by_status", "Incidents not yet closed, by status (database).", ["status"]
)
OUTBOX_PENDING = Gauge("tianwang_delivery_pending", "Outbox messages not yet delivered (database).")
OUTBOX_DEAD = Gauge("tianwang_delivery_dead", "Outbox messages refused for good (database).")
CAMERAS_BY_STATUS = Gauge(
    "tianwang_cameras_by_status", "Cameras in the register, by status (database).", ["status"]
)


class RequestMetrics:
    """ASGI middleware counting HTTP requests by route template (not raw path: bounded labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = (
                str(getattr(route, "path", "unmatched")) if route is not None else "unmatched"
            )
            method = str(scope["method"])
            REQUESTS.labels(method, template, str(status)).inc()
            LATENCY.labels(method, template).observe(time.perf_counter() - started)


async def _read_database_figures(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        by_status = (
            await conn.execute(
                sa.select(incidents.c.status, sa.func.count())
                .where(incidents.c.closed_at.is_(None))
                .group_by(incidents.c.status)
            )
        ).all()
        pending = (
            await conn.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None)
                )
            )
        ).scalar_one()
        dead = (
            await conn.execute(sa.select(sa.func.count()).where(outbox.c.dead_at.is_not(None)))
        ).scalar_one()
        camera_states = (
            await conn.execute(
                sa.select(cameras.c.status, sa.func.count()).group_by(cameras.c.status)
            )
        ).all()
    INCIDENTS_BY_STATUS.clear()
    for status, count in by_status:
        INCIDENTS_BY_STATUS.labels(status).set(count)
    OUTBOX_PENDING.set(pending)
    OUTBOX_DEAD.set(dead)
    CAMERAS_BY_STATUS.clear()
    for status, count in camera_states:
        CAMERAS_BY_STATUS.labels(status).set(count)


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> Response:
    """Ingest, detectors, incidents, delivery and API figures of this process, and the
    fleet's figures from the database."""
    await _read_database_figures(engine)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
