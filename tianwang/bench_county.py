"""`tianwang bench county`: the county's whole camera register in one tianwang instance.

1,067 cameras are registered from a generated ledger; the first ``streaming`` point at the
simulator's RTSP server, the rest at addresses that refuse (a closed port) or never answer
(a port that accepts and then stays silent). ``tianwang serve`` runs on that register as
it would in production (a camera worker per core) for ``minutes``; then
the RTSP server is killed for ``outage_s`` and started again. Reported: how many reachable
cameras were analysed, how many unreachable ones are offline with exactly one health
incident, how long the streaming cameras took to come back after the outage (the reconnect
cap bounds it), and the instance's processes' file descriptors, threads and memory before
the outage and after the recovery.
"""

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter as Tally
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_store import CameraFilter, list_cameras, set_stream_url
from camera_registry.database import open_engine
from camera_registry.ledger_csv import write_rows
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import load_places, read_places
from config.settings import Settings
from incidents.schema import incidents
from simulator.clips import Scene, ensure_clip
from simulator.ports import free_port
from simulator.rtsp import RtspSimulator
from tianwang.bench_ingest_clients import FPS, GOP, SIZE
from tianwang.bench_scale import fresh_database
from tianwang.local_workers import die_with_parent, worker_count
from tianwang.migrate import upgrade
from tianwang.process_usage import resources, tree_cpu_s

SAMPLE_S = 10.0


class SilentPort:
    """A port that accepts connections and never says a word (an RTSP open times out),
    keeping the time of each connection: the unreachable cameras' retries, counted."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted: list[float] = []

    def attempts_since(self, since: float) -> int:
        """Connections accepted since monotonic time ``since``."""
        return sum(at >= since for at in self.accepted)


@contextlib.asynccontextmanager
async def silent_port() -> AsyncIterator[SilentPort]:
    """A ``SilentPort`` listening on 127.0.0.1 until the block ends."""
    held: set[asyncio.StreamWriter] = set()
    silent = SilentPort()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.accepted.append(time.monotonic())
        held.add(writer)
        with contextlib.suppress(ConnectionError):
            await reader.read()  # until the client gives up
        held.discard(writer)
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    silent.port = int(server.sockets[0].getsockname()[1])
    try:
        yield silent
    finally:
        server.close()
        for writer in list(held):
            writer.close()


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    """``tianwang serve`` on the benchmark's register, stopped (SIGTERM) on exit."""
    env = {
        **os.environ,
        "TIANWANG_DATABASE_URL": settings.resolved_database_url,
        "TIANWANG_DATA_DIR": str(settings.data_dir),
        "TIANWANG_API__PORT": "0",
        "TIANWANG_MQTT__CLIENT_ID": settings.mqtt.client_id,
        "TIANWANG_MQTT__TOPIC_PREFIX": settings.mqtt.topic_prefix,
        "TIANWANG_MQTT__SHARED_GROUP": str(settings.mqtt.shared_group),
        "TIANWANG_MQTT__SESSION_EXPIRY_S": "0",
        "TIANWANG_FLEET__WORKER_NAME": settings.mqtt.client_id,
    }
    log = (Path(settings.data_dir) / "serve.log").open("ab")
    tianwang = str(Path(sys.executable).with_name("tianwang"))
    process = await asyncio.create_subprocess_exec(
        tianwang, "serve", env=env, stdout=log, stderr=log, preexec_fn=die_with_parent
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def _register(engine: AsyncEngine, settings: Settings, cameras: int) -> list[str]:
    await upgrade(engine)
    assert settings.places_file is not None
    places = read_places(settings.places_file)
    await load_places(engine, places)
    ledger = write_rows(generate_ledger(cameras, places, seed=11)).encode()
    report = await import_ledger(engine, ledger, settings.county_code)
    if report.rejected:
        raise RuntimeError(f"generated ledger rejected rows: {report.rejected[:3]}")
    found, _ = await list_cameras(engine, CameraFilter(), limit=cameras + 10)
    return sorted(camera.id for camera in found)


async def _statuses(engine: AsyncEngine) -> dict[str, str]:
    found, _ = await list_cameras(engine, CameraFilter(), limit=100_000)
    return {camera.id: camera.status for camera in found}


async def _offline_incidents(engine: AsyncEngine) -> Tally[tuple[str, str]]:
    t = incidents.c
    query = sa.select(t.place_key, t.status).where(t.type == "camera.offline")
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return Tally((row.place_key.removeprefix("camera:"), row.status) for row in rows)


async def _wait(check: Any, timeout_s: float) -> float | None:
    """Seconds until ``await check()`` is true, or None when ``timeout_s`` passed first."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    return None


async def bench_county(
    settings: Settings,
    *,
    cameras: int = 1067,
    streaming: int = 150,
    minutes: float = 10.0,
    outage_s: float = 60.0,
    progress: Any = print,
    pg_admin_url: str | None = None,
) -> dict[str, Any]:
    """Run the scenario and return its figures: on a SQLite file of its own, or on a
    PostgreSQL database of its own made on the server of ``pg_admin_url`` and dropped after."""
    async with contextlib.AsyncExitStack() as stack:
        database_url = None
        if pg_admin_url is not None:
            database_url = await stack.enter_async_context(fresh_database(pg_admin_url))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tw-county-")))
        tag = uuid.uuid4().hex[:8]
        mqtt = settings.mqtt.model_copy(  # a broker shared with others: topics of our own
            update={
                "client_id": f"tw-county-{tag}",
                "topic_prefix": f"tianwang-county-{tag}/v1",
                "shared_group": f"county-{tag}",
                "session_expiry_s": 0,
            }
        )
        run = settings.model_copy(
            update={
                "data_dir": tmp,
                "database_url": database_url or f"sqlite+aiosqlite:///{tmp / 'county.db'}",
                "mqtt": mqtt,
            }
        )
        engine = open_engine(run.resolved_database_url)
        try:
            figures = await _scenario(engine, run, cameras, streaming, minutes, outage_s, progress)
        finally:
            await engine.dispose()
            # The service's own log outlives the run: why a camera took long to come back
            # is in there.
            kept = Path(tempfile.gettempdir()) / "tianwang-bench-county-serve.log"
            with contextlib.suppress(OSError):
                shutil.copyfile(tmp / "serve.log", kept)
                progress(f"the service's log: {kept}")
        return {"database": "postgresql" if database_url else "sqlite", **figures}


async def _scenario(
    engine: AsyncEngine,
    settings: Settings,
    cameras: int,
    streaming: int,
    minutes: float,
    outage_s: float,
    progress: Any,
) -> dict[str, Any]:
    ids = await _register(engine, settings, cameras)
    live, dead = ids[:streaming], ids[streaming:]
    clip = await asyncio.to_thread(
        ensure_clip,
        Scene.STREET,
        Path(tempfile.gettempdir()) / "tianwang-bench-clips",
        seconds=20,
        fps=FPS,
        gop=GOP,
        size=SIZE,
        seed=1,
    )
    refused_port = free_port()  # nothing listens there
    streams = {f"cam{i:04d}": clip for i in range(len(live))}
    async with (
        silent_port() as silent,
        RtspSimulator(streams, fps=FPS, ready_timeout=120) as rtsp,
    ):
        for camera_id, name in zip(live, streams, strict=True):
            await set_stream_url(engine, camera_id, rtsp.url(name))
        for n, camera_id in enumerate(dead):
            port = refused_port if n % 2 else silent.port
            await set_stream_url(engine, camera_id, f"rtsp://admin:pw@127.0.0.1:{port}/ch1")
        assert rtsp.pid is not None
        async with serving(settings) as instance:
            progress(
                f"{len(ids)} cameras: {len(live)} streaming, {len(dead)} unreachable; "
                f"tianwang serve pid {instance.pid}, "
                f"{worker_count(settings.fleet.local_workers)} camera workers"
            )
            started = time.monotonic()
            client0, server0 = tree_cpu_s(instance.pid), tree_cpu_s(rtsp.pid)
            while time.monotonic() - started < minutes * 60:
                await asyncio.sleep(SAMPLE_S)
                try:
                    statuses = Tally((await _statuses(engine)).values())
                except sa.exc.SQLAlchemyError as exc:  # a busy moment: the next sample
                    progress(f"sample skipped: {exc}")
                    continue
                progress(
                    f"{time.monotonic() - started:5.0f} s  {dict(statuses)}  "
                    f"{resources(instance.pid)}"
                )
            window = time.monotonic() - started
            # Backing off: each silent camera's tries over the last minute (full jitter up to
            # the cap waits cap/2 on average, plus the open timeout).
            silent_cameras = sum(1 for n in range(len(dead)) if not n % 2)
            last_s = min(60.0, window)
            tries = silent.attempts_since(time.monotonic() - last_s)
            tries_per_min = tries / max(1, silent_cameras) * 60.0 / last_s
            client_ms = 1000 * (tree_cpu_s(instance.pid) - client0) / (len(live) * window)
            server_ms = 1000 * (tree_cpu_s(rtsp.pid) - server0) / (len(live) * window)
            statuses_now = await _statuses(engine)
            incidents_now = await _offline_incidents(engine)
            analysed = sum(statuses_now[c] == "online" for c in live)
            one_incident = sum(
                statuses_now[c] == "offline"
                and sum(n for (cam, _), n in incidents_now.items() if cam == c) == 1
                for c in dead
            )
            before = resources(instance.pid)
            progress(f"before the outage: {before}; killing the RTSP server for {outage_s:g} s")

            outage = asyncio.create_task(rtsp.restart(downtime=outage_s))

            async def live_offline() -> bool:
                s = await _statuses(engine)
                return all(s[c] == "offline" for c in live)

            went_offline_s = await _wait(live_offline, outage_s)
            await outage
            progress("RTSP server back")

            async def live_recovered() -> bool:
                s = await _statuses(engine)
                found = await _offline_incidents(engine)
                still_open = sum(
                    n for (c, st), n in found.items() if st != "resolved" and c in live
                )
                return all(s[c] == "online" for c in live) and still_open == 0

            cap = settings.ingest.reconnect_max_s
            recovered_s = await _wait(live_recovered, cap + 60)
            await asyncio.sleep(30)  # let retries and session threads settle
            after = resources(instance.pid)
    return {
        "cameras": len(ids),
        "streaming": len(live),
        "unreachable": len(dead),
        "minutes": minutes,
        "analysed": analysed,
        "unreachable_offline_with_one_incident": one_incident,
        "unreachable_tries_per_minute": round(tries_per_min, 2),
        "outage_s": outage_s,
        "streaming_offline_s": round(went_offline_s, 1) if went_offline_s is not None else None,
        "recovered_s": round(recovered_s, 1) if recovered_s is not None else None,
        "reconnect_cap_s": cap,
        "client_cpu_ms_per_stream_s": round(client_ms, 2),
        "server_cpu_ms_per_stream_s": round(server_ms, 2),
        "camera_workers": worker_count(settings.fleet.local_workers),
        **{f"{k}_before": v for k, v in before.items()},
        **{f"{k}_after": v for k, v in after.items()},
    }
