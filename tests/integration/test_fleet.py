"""The fleet on real parts: one publisher at a time through a PostgreSQL advisory lock,
`tianwang worker` processes sharing the cameras (one of them killed with SIGKILL), sensor
messages split by the shared group, focus requests reaching the worker running the camera."""

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.database import open_engine
from camera_registry.leases import overlapping_spans, ownership
from config.mqtt import MqttSettings
from config.settings import load_settings
from detectors.model import Reading
from incidents.publisher_lock import while_holding
from ingest.sensors import SensorConsumer, broker_client
from tests.conftest import free_port
from tianwang.bench_scale import Fleet, fleet_registry
from tianwang.focus_relay import CHANNEL, FocusRelay
from tianwang.migrate import upgrade
from tianwang.pipeline import Pipeline, Roles
from tianwang.service import fleet_settings

pytestmark = pytest.mark.integration

KEY = 4242


async def lock_holder_pid(engine: AsyncEngine) -> int | None:
    query = sa.text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key"
    )
    async with engine.connect() as conn:
        return await conn.scalar(query, {"key": KEY})


def publisher(name: str, running: set[str]) -> Callable[[], Coroutine[Any, Any, None]]:
    async def work() -> None:
        running.add(name)
        try:
            await asyncio.Event().wait()
        finally:
            running.discard(name)

    return work


async def test_one_publisher_at_a_time_and_another_takes_over_when_its_connection_dies(
    pg_url: str,
) -> None:
    engines = [open_engine(pg_url) for _ in range(3)]
    admin = engines[2]
    running: set[str] = set()
    tasks = [
        asyncio.create_task(while_holding(engine, KEY, publisher(name, running), check_s=0.5))
        for name, engine in zip(("a", "b"), engines[:2], strict=True)
    ]
    try:
        async with asyncio.timeout(10):
            while not running:
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # both had several tries at the lock
        assert len(running) == 1, "exactly one publisher"
        (first,) = running
        pid = await lock_holder_pid(admin)
        async with admin.connect() as conn:  # the holder's database session dies
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with asyncio.timeout(10):
            while running != {"a", "b"} - {first}:
                await asyncio.sleep(0.05)
        assert await lock_holder_pid(admin) not in (None, pid)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()


async def test_a_killed_workers_cameras_move_to_the_others_and_a_stopped_one_frees_them(
    pg_url: str, mqtt: MqttSettings, tmp_path: Path
) -> None:
    if mqtt.embedded == "always":
        pytest.skip("SERVICE MISSING: Mosquitto at 127.0.0.1:1883 (workers are separate processes)")
    cameras = 30
    engine = open_engine(pg_url)
    await upgrade(engine)
    port = free_port()
    await fleet_registry(engine, cameras, lambda i: f"rtsp://127.0.0.1:{port}/c{i}")
    env = os.environ | {
        "TIANWANG_DATABASE_URL": pg_url,
        "TIANWANG_DATA_DIR": str(tmp_path / "data"),
        "TIANWANG_MQTT__EMBEDDED": "never",
        "TIANWANG_MQTT__CLIENT_ID": mqtt.client_id,
        "TIANWANG_MQTT__TOPIC_PREFIX": mqtt.topic_prefix,
        "TIANWANG_MQTT__SHARED_GROUP": mqtt.client_id,
        "TIANWANG_MQTT__SESSION_EXPIRY_S": "60",
        "TIANWANG_FLEET__LEASE_S": "4",
        "TIANWANG_FLEET__RENEW_S": "1",
    }
    fleet = Fleet(env, tmp_path)

    async def owners() -> Counter[str]:
        return Counter((await ownership(engine, datetime.now(UTC))).values())

    async def until(predicate: Callable[[Counter[str]], bool], what: str) -> Counter[str]:
        try:
            async with asyncio.timeout(90):
                while not predicate(found := await owners()):
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise AssertionError(f"{what}: not reached in 90 s; owners {await owners()}") from None
        return found

    try:
        for name in ("w1", "w2", "w3"):
            await fleet.start(name, "worker", "--name", name)
        spread = await until(lambda c: sorted(c.values()) == [10, 10, 10], "spread")
        assert set(spread) == {"w1", "w2", "w3"}

        await fleet.stop("w1", signal.SIGKILL)
        moved = await until(lambda c: sum(c.values()) == cameras and "w1" not in c, "failover")
        assert sorted(moved.values()) == [15, 15]

        await fleet.stop("w2", signal.SIGTERM)
        assert "w2" not in await owners(), "a clean stop frees the leases before exiting"
        alone = await until(lambda c: c == Counter({"w3": cameras}), "clean stop")
        assert alone == Counter({"w3": cameras})
        assert await overlapping_spans(engine) == [], "no camera analysed by two at once"
    finally:
        await fleet.close()
        await engine.dispose()


async def test_workers_split_the_sensor_messages_of_their_shared_group(
    mqtt: MqttSettings, tmp_path: Path
) -> None:
    if mqtt.embedded == "always":
        pytest.skip("SERVICE MISSING: Mosquitto at 127.0.0.1:1883 (amqtt speaks no MQTT 5)")
    base = load_settings(data_dir=str(tmp_path), mqtt=mqtt.model_dump() | {"session_expiry_s": 60})
    got: dict[str, list[str]] = {"w1": [], "w2": []}
    consumers = []
    for name in got:
        settings = fleet_settings(base, name, None)

        async def sink(reading: Reading, into: list[str] = got[name]) -> None:
            into.append(str(reading.value))

        consumers.append(SensorConsumer(settings.mqtt, sink, lambda _device: True))
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    try:
        for consumer in consumers:
            await asyncio.wait_for(consumer.ready.wait(), 15)
        async with broker_client(mqtt, "sensor-fleet", version="5") as client:
            for n in range(40):
                topic = f"{mqtt.topic_prefix}/heat/heat-{n % 4}/telemetry"
                await client.publish(topic, json.dumps({"value": 20 + n / 100}), qos=1)
        async with asyncio.timeout(15):
            while len(got["w1"]) + len(got["w2"]) < 40:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a message delivered to both would show now
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert got["w1"] and got["w2"], "both workers consume"
    assert len(got["w1"]) + len(got["w2"]) == 40 and not set(got["w1"]) & set(got["w2"])


async def test_a_focus_request_reaches_the_worker_that_runs_the_camera(
    pg_url: str, tmp_path: Path
) -> None:
    engine = open_engine(pg_url)
    await upgrade(engine)
    port = free_port()
    ids = await fleet_registry(engine, 4, lambda i: f"rtsp://127.0.0.1:{port}/c{i}")
    settings = load_settings(
        data_dir=str(tmp_path),
        database_url=pg_url,
        fleet={"worker_name": "w-video", "lease_s": 4, "renew_s": 1},
    )
    other = open_engine(pg_url)  # the worker that consumed the alarm, on its own connection
    try:
        roles = Roles(cameras="leased", sensors=False, publisher="off")
        async with Pipeline(settings, engine, roles) as pipeline:
            assert pipeline.leases is not None
            await asyncio.wait_for(pipeline.leases.settled.wait(), 20)
            relay = pipeline.relay
            assert relay is not None
            await asyncio.wait_for(relay.ready.wait(), 10)
            async with other.begin() as conn:  # garbage on the channel is logged and ignored
                await conn.execute(sa.select(sa.func.pg_notify(CHANNEL, "not json")))
            await FocusRelay(other, lambda ids, s: None).send([ids[1], "cam-elsewhere"], 60)
            async with asyncio.timeout(10):
                while not focused(pipeline, ids[1]):
                    await asyncio.sleep(0.05)
            assert [c for c in ids if focused(pipeline, c)] == [ids[1]]
    finally:
        await other.dispose()
        await engine.dispose()


def focused(pipeline: Pipeline, camera_id: str) -> bool:
    (worker,) = [w for w in pipeline.workers if w.camera_id == camera_id]
    return worker.focus_requested_until > time.monotonic()
