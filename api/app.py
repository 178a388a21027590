"""The FastAPI application: one router per resource, the database on app.state."""

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import make_asgi_app
from sqlalchemy.ext.asyncio import AsyncEngine

from api import cameras, deliveries, health, incidents, places, sensors, snapshots
from incidents.versions import Publication


def create_app(
    engine: AsyncEngine,
    county_code: str = "520626",
    *,
    publication: Publication | None = None,
    snapshot_dir: Path | None = None,
) -> FastAPI:
    """The tianwang API over ``engine``; OpenAPI at /docs, Prometheus at /metrics.

    ``publication`` stamps the messages an incident transition sends (default: this
    county, CAP status Actual); ``snapshot_dir`` is where detection snapshots are served from.
    """
    app = FastAPI(
        title="tianwang",
        version="0.1.0",
        summary="德江县 天网 cameras and building sensors → incidents for 一网管",
    )
    app.state.engine = engine
    app.state.county_code = county_code
    app.state.publication = publication or Publication(
        "urn:tianwang:dejiang", "Actual", county_code
    )
    app.state.snapshot_dir = snapshot_dir
    app.include_router(health.router)
    app.include_router(cameras.router)
    app.include_router(incidents.router)
    app.include_router(deliveries.router)
    app.include_router(snapshots.router)
    app.include_router(places.router)
    app.include_router(sensors.router)
    app.mount("/metrics", make_asgi_app())
    return app
