"""The FastAPI application: one router per resource, the database on app.state.

Every router is included with the roles that may use it (api/auth_policy.py).
"""

import contextlib
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api import (
    auth_policy,
    auth_routes,
    cameras,
    console,
    deliveries,
    fleet,
    health,
    incidents,
    live,
    map,
    metrics,
    places,
    sensors,
    snapshots,
    webrtc,
)
from api.auth_throttle import LoginThrottle
from api.live_video import LiveVideo
from api.openapi_doc import document_error_answers
from camera_registry.camera_store import open_url
from config.auth import AuthSettings
from incidents.versions import Publication


def create_app(
    engine: AsyncEngine,
    county_code: str = "520626",
    *,
    publication: Publication | None = None,
    snapshot_dir: Path | None = None,
    auth: AuthSettings | None = None,
    live_interval_s: float = 1.0,
) -> FastAPI:
    """The tianwang API over ``engine``; OpenAPI at /docs (public), Prometheus at /metrics
    (a fleet reader's token).

    ``publication`` stamps the messages an incident transition sends (default: this
    county, CAP status Actual); ``snapshot_dir`` is where detection snapshots are served
    from; ``auth`` sets the session cookies and the login throttle; ``live_interval_s`` is
    how often /api/v1/live looks for changes.
    """
    live_video = LiveVideo(partial(open_url, engine))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await live_video.close_all()

    app = FastAPI(
        title="tianwang",
        version="0.1.0",
        summary="德江县 天网 cameras and building sensors → incidents for 一网管",
        lifespan=lifespan,
    )
    app.add_middleware(metrics.RequestMetrics)
    document_error_answers(app)
    auth = auth or AuthSettings()
    app.state.engine = engine
    app.state.county_code = county_code
    app.state.publication = publication or Publication(
        "urn:tianwang:dejiang", "Actual", county_code
    )
    app.state.snapshot_dir = snapshot_dir
    app.state.auth_settings = auth
    app.state.login_throttle = LoginThrottle(auth.login_max_failures, auth.login_window_s)
    app.state.live_feed = live.LiveFeed(engine, live_interval_s)
    app.state.live_video = live_video
    app.include_router(health.router)
    app.include_router(auth_routes.router)
    app.include_router(cameras.router, dependencies=auth_policy.CAMERAS)
    app.include_router(webrtc.router, dependencies=auth_policy.LIVE_VIEW)
    app.include_router(map.router, dependencies=auth_policy.MAP)
    app.include_router(metrics.router, dependencies=auth_policy.METRICS)
    app.include_router(incidents.router, dependencies=auth_policy.INCIDENTS)
    app.include_router(deliveries.router, dependencies=auth_policy.DELIVERIES)
    app.include_router(snapshots.router, dependencies=auth_policy.SNAPSHOTS)
    app.include_router(places.router, dependencies=auth_policy.PLACES)
    app.include_router(sensors.router, dependencies=auth_policy.SENSORS)
    app.include_router(fleet.router, dependencies=auth_policy.FLEET)
    app.include_router(live.router)
    app.include_router(console.router)
    app.mount("/console", console.console_files(), name="console")
    return app
