"""`tianwang bench scale`: camera leases and the publisher lock across real processes.

A PostgreSQL database of its own, Mosquitto, the RTSP simulator, the 一网管 stand-in, N
cameras and 3 `tianwang worker` processes (plus 2 `tianwang serve --role publisher`):

1. every camera owned by exactly one worker, the load spread;
2. SIGKILL one worker → seconds until every camera is owned by a live worker again;
3. start it again → seconds until the load is spread back;
4. incidents put into the outbox, SIGKILL the publisher holding the lock, more incidents →
   how many the 一网管 stand-in never got;
5. SIGTERM every worker → leases freed at once; the analysis spans of every (camera, epoch)
   checked for two workers analysing one camera at once.

This 2-core machine cannot decode 300 real streams next to everything else, so only
``real`` cameras are served by the simulator; the rest point at a port where nothing
listens (refused at once): for ownership and failover a camera is a camera.
"""

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.lease_schema import fleet_workers
from camera_registry.leases import overlapping_spans, ownership
from camera_registry.ledger_csv import write_rows
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import load_places, read_places
from camera_registry.schema import cameras
from config.fleet import FleetSettings
from config.settings import SAMPLE_DIR
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.routing import YIWANGGUAN
from incidents.schema import outbox
from incidents.versions import Publication
from simulator.receiver import ReceivedEvents, create_receiver

COUNTY = "520626"
SECRET = "whsec_dGlhbndhbmctYmVuY2gtc2NhbGUtc2VjcmV0LTMyYnl0ZXM="
TIANWANG = Path(sys.executable).with_name("tianwang")


async def fleet_registry(engine: AsyncEngine, count: int, url: Callable[[int], str]) -> list[str]:
    """Places and ``count`` generated cameras, camera ``i`` streaming from ``url(i)``."""
    places = read_places(SAMPLE_DIR / "dejiang_places.yaml")
    await load_places(engine, places)
    await import_ledger(engine, write_rows(generate_ledger(count, places, 9)).encode(), COUNTY)
    async with engine.begin() as conn:
        ids = list((await conn.execute(sa.select(cameras.c.id).order_by(cameras.c.id))).scalars())
        for i, camera_id in enumerate(ids):
            await conn.execute(
                sa.update(cameras)
                .where(cameras.c.id == camera_id)
                .values(rtsp_sub=url(i), rtsp_username=None, rtsp_password=None)
            )
    return ids


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """A PostgreSQL database of the benchmark's own, dropped afterwards."""
    admin_db = make_url(admin_url)
    admin = create_async_engine(admin_db, isolation_level="AUTOCOMMIT")
    name = f"tianwang_bench_scale_{uuid.uuid4().hex[:8]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_db.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def free_port() -> int:
    """A TCP port nothing listens on right now (cameras pointed there are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Fleet:
    """The worker and publisher processes, each logging to a file of its own."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, name: str, *args: str) -> None:
        """Start ``tianwang ARGS`` as process ``name``."""
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = await asyncio.create_subprocess_exec(
            str(TIANWANG), *args, env=self.env, stdout=log, stderr=log
        )

    async def stop(self, name: str, signum: int) -> None:
        """Send ``signum`` to process ``name`` and wait for it to end."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def close(self) -> None:
        """Stop whatever still runs."""
        await asyncio.gather(*(self.stop(name, signal.SIGKILL) for name in list(self.processes)))


async def _until(check: Callable[[], Any], timeout_s: float, what: str) -> float:
    """Poll ``check`` (async) every 0.2 s until true; seconds it took."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"bench scale: {what} not reached within {timeout_s:g} s")
        await asyncio.sleep(0.2)
    return time.monotonic() - start


async def _per_worker(engine: AsyncEngine) -> Counter[str]:
    return Counter((await ownership(engine, datetime.now(UTC))).values())


async def _lock_holders(engine: AsyncEngine, key: int) -> int:
    query = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objid = :low AND classid = :high"
    )
    async with engine.connect() as conn:
        found = await conn.scalar(query, {"low": key & 0xFFFFFFFF, "high": key >> 32})
    return int(found or 0)


async def _put_incidents(engine: AsyncEngine, camera_ids: list[str]) -> None:
    """One fire incident at each camera, straight into the outbox (as a worker would)."""
    incidents = IncidentEngine(engine, Publication("urn:tianwang:bench", "Exercise", COUNTY))
    for camera_id in camera_ids:
        at = datetime.now(UTC)
        await incidents.record(Detection("fire", "camera", camera_id, at, 0.9))


async def _yiwangguan_events(engine: AsyncEngine) -> set[str]:
    query = sa.select(outbox.c.event_id).where(outbox.c.destination == YIWANGGUAN)
    async with engine.connect() as conn:
        return set((await conn.execute(query)).scalars())


async def bench_scale(
    cameras_count: int = 300,
    workers: int = 3,
    real: int = 20,
    lease_s: float = 10.0,
    renew_s: float = 2.0,
    admin_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    mqtt_host: str = "127.0.0.1",
    mqtt_port: int = 1883,
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Run the scenario; returns the figures and the cameras per worker at each step."""
    from simulator.clips import Scene, ensure_clip
    from simulator.rtsp import RtspSimulator

    key = FleetSettings().publisher_lock_key
    names = [f"w{i + 1}" for i in range(workers)]
    steps: list[tuple[str, dict[str, int]]] = []
    figures: dict[str, Any] = {"workers": workers, "cameras": cameras_count, "real": real}
    tmp = Path(tempfile.mkdtemp(prefix="tw-bench-scale-"))
    clip = await asyncio.to_thread(
        ensure_clip,
        Scene.STREET,
        Path(tempfile.gettempdir()) / "tianwang-bench-clips",
        seconds=10,
        fps=10,
        gop=20,
        seed=1,
    )
    received = ReceivedEvents()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database(admin_url))
        engine = open_engine(url)
        stack.push_async_callback(engine.dispose)
        rtsp = await stack.enter_async_context(
            RtspSimulator({f"cam{i:03d}": clip for i in range(max(real, 1))}, ready_timeout=60)
        )
        receiver = await stack.enter_async_context(
            serve_app(create_receiver(SECRET, received), "127.0.0.1", 0)
        )
        refused = f"rtsp://127.0.0.1:{free_port()}/none"
        from tianwang.migrate import upgrade

        await upgrade(engine)
        ids = await fleet_registry(
            engine, cameras_count, lambda i: rtsp.url(f"cam{i:03d}") if i < real else refused
        )
        say(
            f"{len(ids)} cameras: {real} served by the RTSP simulator, the rest refused; logs {tmp}"
        )
        tag = uuid.uuid4().hex[:8]
        env = os.environ | {
            "TIANWANG_DATABASE_URL": url,
            "TIANWANG_DATA_DIR": str(tmp / "data"),
            "TIANWANG_MQTT__HOST": mqtt_host,
            "TIANWANG_MQTT__PORT": str(mqtt_port),
            "TIANWANG_MQTT__EMBEDDED": "never",
            "TIANWANG_MQTT__CLIENT_ID": f"tw-bench-{tag}",
            "TIANWANG_MQTT__TOPIC_PREFIX": f"tianwang-bench-{tag}/v1",
            "TIANWANG_MQTT__SHARED_GROUP": f"bench-{tag}",
            "TIANWANG_MQTT__SESSION_EXPIRY_S": "60",  # no sessions left behind on the broker
            "TIANWANG_DELIVERY__ENDPOINT": f"{receiver}/events",
            "TIANWANG_DELIVERY__SECRET": SECRET,
            "TIANWANG_DELIVERY__RETRY_INITIAL_S": "0.2",
            "TIANWANG_DELIVERY__RETRY_MAX_S": "2",
            "TIANWANG_FLEET__LEASE_S": str(lease_s),
            "TIANWANG_FLEET__RENEW_S": str(renew_s),
        }
        fleet = Fleet(env, tmp)
        stack.push_async_callback(fleet.close)

        # -- publishers: the first takes the lock, the second stands by
        await fleet.start("pub-a", "serve", "--role", "publisher", "--name", "pub-a")
        await _until(lambda: _has_lock(engine, key), 60, "publisher pub-a holding the lock")
        await fleet.start("pub-b", "serve", "--role", "publisher", "--name", "pub-b")

        # -- 1. every camera owned, spread evenly
        for name in names:
            await fleet.start(name, "worker", "--name", name, "--capacity", str(cameras_count))
        spread_s = await _until(
            lambda: _spread(engine, set(names), cameras_count), 120, "every camera owned, spread"
        )
        steps.append(("started", dict(await _per_worker(engine))))
        figures["spread_s"] = round(spread_s, 1)

        # -- 2. SIGKILL one worker
        victim = names[0]
        killed_held = (await _per_worker(engine))[victim]
        await fleet.stop(victim, signal.SIGKILL)
        survivors = set(names) - {victim}
        failover_s = await _until(
            lambda: _all_owned_by(engine, survivors, cameras_count), 60, "failover"
        )
        steps.append((f"{victim} killed", dict(await _per_worker(engine))))
        figures["failover_s"] = round(failover_s, 1)
        figures["killed_worker_cameras"] = killed_held

        # -- 3. start it again
        await fleet.start(victim, "worker", "--name", victim, "--capacity", str(cameras_count))
        figures["rebalance_s"] = round(
            await _until(
                lambda: _spread(engine, set(names), cameras_count), 180, "load spread back"
            ),
            1,
        )
        steps.append((f"{victim} back", dict(await _per_worker(engine))))

        # -- 4. publisher failover with incidents in the outbox
        first, second = ids[: len(ids) // 2], ids[len(ids) // 2 :]
        await _put_incidents(engine, first[:50])
        await fleet.stop("pub-a", signal.SIGKILL)
        killed_at = time.monotonic()
        await _put_incidents(engine, second[:50])
        await _until(lambda: _has_lock(engine, key), 60, "pub-b taking the lock")
        figures["publisher_takeover_s"] = round(time.monotonic() - killed_at, 1)

        async def all_received() -> bool:
            return await _yiwangguan_events(engine) <= set(received.events)

        with contextlib.suppress(TimeoutError):
            await _until(all_received, 90, "every incident delivered")
        expected = await _yiwangguan_events(engine)
        figures["incidents"] = len(expected)
        figures["incidents_lost"] = len(expected - set(received.events))
        figures["duplicates_dropped_by_receiver"] = received.duplicates

        # -- 5. clean stop: leases freed at once; fencing data
        async with engine.connect() as conn:
            fenced = await conn.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(fleet_workers.c.fenced), 0))
            )
        figures["fenced_detections"] = int(fenced or 0)
        stop_started = time.monotonic()
        await asyncio.gather(*(fleet.stop(name, signal.SIGTERM) for name in names))
        figures["stop_s"] = round(time.monotonic() - stop_started, 1)
        figures["held_after_clean_stop"] = len(await ownership(engine, datetime.now(UTC)))
        figures["double_owned"] = len(await overlapping_spans(engine))
    figures["steps"] = steps
    return figures


async def _has_lock(engine: AsyncEngine, key: int) -> bool:
    return await _lock_holders(engine, key) == 1


async def _all_owned_by(engine: AsyncEngine, names: set[str], count: int) -> bool:
    owners = await ownership(engine, datetime.now(UTC))
    return len(owners) == count and set(owners.values()) <= names


async def _spread(engine: AsyncEngine, names: set[str], count: int) -> bool:
    """Every camera owned by one of ``names``, each within one camera of an even share."""
    per = await _per_worker(engine)
    if sum(per.values()) != count or set(per) != names:
        return False
    return max(per.values()) - min(per.values()) <= 1
