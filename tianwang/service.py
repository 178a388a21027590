"""`tianwang serve`: the API and the pipeline over the configured database and broker."""

import asyncio
import contextlib
import dataclasses
import logging
import signal
import socket
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.schema import cameras
from camera_registry.seed import load_devices, read_devices
from config.settings import Settings
from tianwang.broker import mqtt_broker
from tianwang.heap import freeze_start_up_objects
from tianwang.local_workers import local_workers, worker_count
from tianwang.migrate import upgrade
from tianwang.pipeline import Pipeline, Roles, publication
from tianwang.worker_metrics import serve_worker_metrics

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


SQLITE_CAMERAS = 300
"""Cameras beyond which serve warns that SQLite is the wrong database."""


async def _warn_if_county_scale(engine: AsyncEngine) -> None:
    """SQLite has one writer for every process: at the county's 1,067 cameras its camera
    workers queued on its lock (lease rounds failing, offline incidents opened about one a
    second; `bench county`, sessions 7 and 8). Say so at start-up."""
    query = sa.select(sa.func.count()).select_from(cameras).where(cameras.c.enabled)
    async with engine.connect() as conn:
        count = int((await conn.execute(query)).scalar_one())
    if count > SQLITE_CAMERAS:
        log.warning(
            "%d cameras on SQLite: at county scale its one writer makes the camera workers "
            "wait (leases lost, incidents slow); use PostgreSQL (database_url)",
            count,
        )


def api_app(engine: AsyncEngine, settings: Settings) -> FastAPI:
    """The API for this deployment: its county, its message stamp, its snapshot folder."""
    return create_app(
        engine,
        settings.county_code,
        publication=publication(settings),
        snapshot_dir=Path(settings.data_dir) / "snapshots",
        auth=settings.auth,
    )


Role = Literal["api", "publisher", "worker", "all"]
ROLES: tuple[Role, ...] = ("api", "publisher", "worker", "all")


def pipeline_roles(role: Role, dialect: str, *, sensors: bool = True) -> Roles | None:
    """What the pipeline of a process in ``role`` does on this database (None: no pipeline).

    Workers claim cameras through leases; on PostgreSQL the publisher drains the outbox only
    while it holds the advisory lock, on SQLite (one machine) it simply does.
    """
    publisher: Literal["always", "locked"] = "locked" if dialect == "postgresql" else "always"
    if role == "api":
        return None
    if role == "publisher":
        return Roles(cameras="none", sensors=False, publisher=publisher)
    if role == "worker":
        return Roles(cameras="leased", sensors=sensors, publisher="off")
    return Roles(cameras="leased", sensors=sensors, publisher=publisher)


def fleet_settings(settings: Settings, name: str | None, capacity: int | None) -> Settings:
    """The settings with this worker's name and capacity; its MQTT client id carries the
    name, so workers sharing one broker (and one shared-subscription group) never collide."""
    fleet = settings.fleet.model_copy(
        update={k: v for k, v in (("worker_name", name), ("capacity", capacity)) if v is not None}
    )
    client_id = f"{settings.mqtt.client_id}-{fleet.worker_name or socket.gethostname()}"
    mqtt = settings.mqtt.model_copy(update={"client_id": client_id})
    return settings.model_copy(update={"fleet": fleet, "mqtt": mqtt})


async def stop_requested() -> None:
    """Return on SIGTERM or SIGINT, so a stop unwinds cleanly (a worker frees its leases)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("stopping")


async def serve(
    settings: Settings,
    role: Role = "all",
    *,
    sensors: bool = True,
    config_file: Path | None = None,
) -> None:
    """Run ``role`` (the API, the publisher, a camera and sensor worker, or all) until
    cancelled; a worker frees its camera leases on the way out. ``all`` also runs the
    machine's other camera workers (``fleet.local_workers``: one per core by default)."""
    engine = await prepared_engine(settings)
    roles = pipeline_roles(role, engine.dialect.name, sensors=sensors)
    if engine.dialect.name == "sqlite" and role in ("all", "worker"):
        await _warn_if_county_scale(engine)
    alone = engine.dialect.name == "sqlite" and worker_count(settings.fleet.local_workers) == 1
    if role == "all" and alone and roles is not None:
        roles = dataclasses.replace(roles, cameras="all")  # one machine, one worker: no leases
    try:
        async with contextlib.AsyncExitStack() as stack:
            broker = await stack.enter_async_context(mqtt_broker(settings.mqtt))
            if role in ("api", "all"):
                url = await stack.enter_async_context(
                    serve_app(
                        create_app(engine, settings.county_code, auth=settings.auth),
                        settings.api.host,
                        settings.api.port,
                    )
                )
                log.info("serving: API %s (docs %s/docs)", url, url)
            if roles is not None:
                await stack.enter_async_context(Pipeline(settings, engine, roles))
            if role == "all":
                name = settings.fleet.worker_name or socket.gethostname()
                extra = worker_count(settings.fleet.local_workers) - 1
                await stack.enter_async_context(
                    local_workers(name, extra, config_file, settings.fleet.metrics_port)
                )
            elif role == "worker" and (port := settings.fleet.metrics_port) is not None:
                f = settings.fleet
                serve_worker_metrics(f.metrics_host, port, f.worker_name or "")
            freeze_start_up_objects()
            log.info("serving: role %s, MQTT %s broker", role, broker)
            await stop_requested()
    finally:
        await engine.dispose()
