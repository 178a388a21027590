"""On the real broker: 1,000 alarms published while tianwang is down all arrive when it is
back (MQTT 5 persistent session, shared subscription), none twice in effect; bad payloads
are stored as dead letters with their raw bytes and never stop the consumer."""

import asyncio
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import grids, sensors
from config.mqtt import MqttSettings
from detectors.model import Reading
from detectors.sensor_rules import SensorRules
from incidents.engine import IncidentEngine
from incidents.schema import incidents
from incidents.versions import Publication
from ingest.dead_letters import DeadLetters, sensor_dead_letters
from ingest.sensors import SensorConsumer, broker_client

pytestmark = pytest.mark.integration
ALARMS = 1000


async def started(consumer: SensorConsumer) -> asyncio.Task[None]:
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 15)
    return task


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_1000_alarms_sent_while_tianwang_is_down_all_arrive_once(
    mqtt: MqttSettings, engine: AsyncEngine
) -> None:
    if mqtt.embedded == "always":
        pytest.skip(
            "SERVICE MISSING: Mosquitto (amqtt 0.12 does not requeue for a returning session)"
        )
    ids = [f"smk-r-{n:04d}" for n in range(ALARMS)]
    async with engine.begin() as conn:
        grid = (await conn.execute(sa.select(grids.c.id).limit(1))).scalar_one()
        await conn.execute(
            sa.insert(sensors), [{"id": i, "kind": "smoke", "grid_id": grid} for i in ids]
        )
    readings: list[Reading] = []

    async def sink(reading: Reading) -> None:
        readings.append(reading)

    known = set(ids)
    first = await started(SensorConsumer(mqtt, sink, known.__contains__))
    assert first.get_name() and readings == []
    await stopped(first)  # the broker keeps the session and its shared subscription

    async with broker_client(mqtt, "publisher", version="5") as client:
        for device in ids:
            await client.publish(
                f"{mqtt.topic_prefix}/smoke/{device}/event", b'{"value": "alarm"}', qos=1
            )

    again = SensorConsumer(mqtt, sink, known.__contains__)
    task = await started(again)
    try:
        async with asyncio.timeout(30):
            while len(readings) < ALARMS:
                await asyncio.sleep(0.05)
    finally:
        await stopped(task)
    assert again.version == "5"
    assert sorted(r.device_id for r in readings) == ids

    # In effect: every alarm recorded (a redelivery would update, not open, an incident).
    rules = SensorRules()
    recorder = IncidentEngine(engine, Publication("urn:tianwang:test", "Test", "520626"))
    for reading in readings + readings[:10]:  # ten delivered twice
        for detection in rules.evaluate(reading):
            await recorder.record(detection)
    async with engine.connect() as conn:
        opened = (
            await conn.execute(
                sa.select(incidents.c.source_id, sa.func.count()).group_by(incidents.c.source_id)
            )
        ).all()
    assert len(opened) == ALARMS and {n for _, n in opened} == {1}


async def test_bad_payloads_become_dead_letters_with_their_raw_bytes(
    mqtt: MqttSettings, engine: AsyncEngine
) -> None:
    readings: list[Reading] = []

    async def sink(reading: Reading) -> None:
        readings.append(reading)

    dead = DeadLetters(engine, flush_s=0.05)
    consumer = SensorConsumer(mqtt, sink, {"smk-1", "heat-1"}.__contains__, dead_letters=dead)
    tasks = [await started(consumer), asyncio.create_task(dead.run())]
    bad = {
        b"\xff\xfe": "not_utf8",
        b"{broken": "not_json",
        json.dumps({"value": 900}).encode(): "absurd_value",
    }
    prefix = mqtt.topic_prefix
    try:
        async with broker_client(mqtt, "publisher") as client:
            for payload in bad:
                await client.publish(f"{prefix}/heat/heat-1/telemetry", payload, qos=1)
            await client.publish(f"{prefix}/smoke/ghost-7/event", b'{"value": "alarm"}', qos=1)
            await client.publish(f"{prefix}/heat/heat-1/telemetry", b'{"value": 21.5}', qos=1)
        async with asyncio.timeout(10):
            while not readings or dead.written < len(bad) + 1:
                await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            await stopped(task)
    async with engine.connect() as conn:
        stored = {
            row.payload: row.reason for row in await conn.execute(sa.select(sensor_dead_letters))
        }
    assert stored == bad | {b'{"value": "alarm"}': "unknown_device"}
    assert [(r.device_id, r.value) for r in readings] == [("heat-1", 21.5)]
