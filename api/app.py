"""The FastAPI application: one router per resource, the database on app.state."""

from fastapi import FastAPI
from prometheus_client import make_asgi_app
from sqlalchemy.ext.asyncio import AsyncEngine

from api import cameras, health, incidents, places


def create_app(engine: AsyncEngine, county_code: str = "520626") -> FastAPI:
    """The tianwang API over ``engine``; OpenAPI at /docs, Prometheus at /metrics."""
    app = FastAPI(
        title="tianwang",
        version="0.1.0",
        summary="德江县 天网 cameras and building sensors → incidents for 一网管",
    )
    app.state.engine = engine
    app.state.county_code = county_code
    app.include_router(health.router)
    app.include_router(cameras.router)
    app.include_router(incidents.router)
    app.include_router(places.router)
    app.mount("/metrics", make_asgi_app())
    return app
