"""`tianwang serve`: the API and the pipeline over the configured database and broker."""

import asyncio
import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.seed import load_devices, read_devices
from config.settings import Settings
from tianwang.broker import mqtt_broker
from tianwang.migrate import upgrade
from tianwang.pipeline import Pipeline, publication

log = logging.getLogger(__name__)


async def prepared_engine(settings: Settings, devices_file: Path | None = None) -> AsyncEngine:
    """The database engine, migrated to head; an empty registry gets the places and devices."""
    engine = open_engine(settings.resolved_database_url)
    await upgrade(engine)
    if settings.places_file is not None and await load_places(
        engine, read_places(settings.places_file)
    ):
        log.info("registry had no places: loaded %s", settings.places_file)
    devices_file = devices_file or settings.seed_file
    if devices_file is not None and await load_devices(
        engine, read_devices(devices_file), settings.county_code
    ):
        log.info("registry had no devices: loaded %s", devices_file)
    return engine


def api_app(engine: AsyncEngine, settings: Settings) -> FastAPI:
    """The API for this deployment: its county, its message stamp, its snapshot folder."""
    return create_app(
        engine,
        settings.county_code,
        publication=publication(settings),
        snapshot_dir=Path(settings.data_dir) / "snapshots",
        auth=settings.auth,
    )


async def serve(settings: Settings) -> None:
    """Run until cancelled."""
    engine = await prepared_engine(settings)
    try:
        async with contextlib.AsyncExitStack() as stack:
            broker = await stack.enter_async_context(mqtt_broker(settings.mqtt))
            url = await stack.enter_async_context(
                serve_app(
                    create_app(engine, settings.county_code, auth=settings.auth),
                    settings.api.host,
                    settings.api.port,
                )
            )
            await stack.enter_async_context(Pipeline(settings, engine))
            log.info("serving: API %s (docs %s/docs), MQTT %s broker", url, url, broker)
            await asyncio.Event().wait()
    finally:
        await engine.dispose()
