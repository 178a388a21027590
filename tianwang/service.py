"""`tianwang serve`: the API and the pipeline over the configured database and broker."""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.seed import load_seed, read_seed
from config.settings import Settings
from tianwang.broker import mqtt_broker
from tianwang.migrate import upgrade
from tianwang.pipeline import Pipeline

log = logging.getLogger(__name__)


async def prepared_engine(settings: Settings) -> AsyncEngine:
    """The database engine, migrated to head, the registry seeded if empty."""
    engine = open_engine(settings.resolved_database_url)
    await upgrade(engine)
    if settings.seed_file.is_file() and await load_seed(engine, read_seed(settings.seed_file)):
        log.info("registry was empty: loaded %s", settings.seed_file)
    return engine


async def serve(settings: Settings) -> None:
    """Run until cancelled."""
    engine = await prepared_engine(settings)
    try:
        async with contextlib.AsyncExitStack() as stack:
            broker = await stack.enter_async_context(mqtt_broker(settings.mqtt))
            url = await stack.enter_async_context(
                serve_app(create_app(engine), settings.api.host, settings.api.port)
            )
            await stack.enter_async_context(Pipeline(settings, engine))
            log.info("serving: API %s (docs %s/docs), MQTT %s broker", url, url, broker)
            await asyncio.Event().wait()
    finally:
        await engine.dispose()
