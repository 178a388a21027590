"""`tianwang serve` on one machine runs a camera worker per core (here two): the register's
cameras split between the processes by lease on SQLite, each worker shows its own cameras'
figures on its own /metrics, and a SIGKILLed serve takes its workers with it, so none is
left holding leases."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from camera_registry.database import open_engine
from camera_registry.lease_schema import camera_leases
from simulator.ports import free_port
from tianwang.bench_scale import fleet_registry
from tianwang.migrate import upgrade

pytestmark = pytest.mark.integration
TIANWANG = str(Path(sys.executable).with_name("tianwang"))


def workers_alive(parent: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"worker --name {parent}-w"], capture_output=True)
    return found.stdout.decode().split()


async def test_serve_splits_the_cameras_with_its_local_worker_and_takes_it_down_when_killed(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tianwang.db'}"
    engine = open_engine(url)
    await upgrade(engine)
    # Streams that refuse: the split is about ownership, not pictures.
    await fleet_registry(engine, 8, lambda i: f"rtsp://127.0.0.1:9/cam{i}")
    name = f"lw{os.getpid()}"
    metrics_port = free_port()
    env = {
        **os.environ,
        "TIANWANG_DATABASE_URL": url,
        "TIANWANG_DATA_DIR": str(tmp_path),
        "TIANWANG_API__PORT": "0",
        "TIANWANG_FLEET__LOCAL_WORKERS": "2",
        "TIANWANG_FLEET__WORKER_NAME": name,
        "TIANWANG_FLEET__METRICS_PORT": str(metrics_port),
        "TIANWANG_MQTT__CLIENT_ID": f"tw-test-{name}",
        "TIANWANG_MQTT__TOPIC_PREFIX": f"tianwang-test-{name}/v1",
    }
    log = (tmp_path / "serve.log").open("wb")
    serve = await asyncio.create_subprocess_exec(TIANWANG, "serve", env=env, stdout=log, stderr=log)
    try:
        owners: dict[str, int] = {}
        async with asyncio.timeout(60):
            while sorted(owners.values()) != [4, 4]:
                await asyncio.sleep(1)
                async with engine.connect() as conn:
                    rows = await conn.execute(
                        sa.select(camera_leases.c.worker, sa.func.count())
                        .where(camera_leases.c.worker.is_not(None))
                        .group_by(camera_leases.c.worker)
                    )
                    owners = {row[0]: row[1] for row in rows}
        assert set(owners) == {name, f"{name}-w1"}
        assert workers_alive(name), "the local worker runs as a process of its own"
        async with engine.connect() as conn:
            held = (
                (
                    await conn.execute(
                        sa.select(camera_leases.c.camera_id).where(
                            camera_leases.c.worker == f"{name}-w1"
                        )
                    )
                )
                .scalars()
                .all()
            )
        async with httpx.AsyncClient() as client, asyncio.timeout(30):
            while True:  # the worker's own figures: its cameras' reconnects, by camera
                try:
                    text = (await client.get(f"http://127.0.0.1:{metrics_port + 1}/metrics")).text
                except httpx.TransportError:  # not listening yet
                    text = ""
                if text and all(
                    f'tianwang_ingest_reconnects_total{{camera="{c}"}}' in text for c in held
                ):
                    break
                await asyncio.sleep(1)
        assert f'tianwang_worker_info{{name="{name}-w1"}} 1.0' in text
    finally:
        serve.send_signal(signal.SIGKILL)
        await serve.wait()
        log.close()
        await engine.dispose()
    async with asyncio.timeout(15):
        while workers_alive(name):
            await asyncio.sleep(0.5)
