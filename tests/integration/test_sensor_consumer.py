"""The MQTT consumer on a real broker: good alarms in, bad payloads counted and set aside,
nothing published while it was away lost."""

import asyncio
import json

import pytest

from config.mqtt import MqttSettings
from detectors.model import Reading
from ingest.metrics import READINGS_REJECTED
from ingest.sensors import SensorConsumer, broker_client

pytestmark = pytest.mark.integration

KNOWN = {"smk-1", "heat-1"}


async def started(consumer: SensorConsumer) -> asyncio.Task[None]:
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 15)
    return task


async def wait_readings(readings: list[Reading], count: int, timeout_s: float = 10) -> None:
    async with asyncio.timeout(timeout_s):
        while len(readings) < count:
            await asyncio.sleep(0.05)


async def test_bad_payloads_are_counted_and_good_alarms_still_come_through(
    mqtt: MqttSettings, caplog: pytest.LogCaptureFixture
) -> None:
    readings: list[Reading] = []

    async def sink(reading: Reading) -> None:
        readings.append(reading)

    not_json = READINGS_REJECTED.labels("not_json")
    unknown = READINGS_REJECTED.labels("unknown_device")
    before = (not_json._value.get(), unknown._value.get())
    consumer = SensorConsumer(mqtt, sink, KNOWN.__contains__)
    task = await started(consumer)
    try:
        async with broker_client(mqtt, "publisher") as client:
            prefix = mqtt.topic_prefix
            await client.publish(f"{prefix}/smoke/smk-1/event", b"{broken", qos=1)
            await client.publish(f"{prefix}/smoke/intruder-9/event", b'{"value": "alarm"}', qos=1)
            await client.publish(
                f"{prefix}/smoke/smk-1/event", json.dumps({"value": "alarm"}), qos=1
            )
        await wait_readings(readings, 1)
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [(r.device_id, r.kind, r.value) for r in readings] == [("smk-1", "smoke", "alarm")]
    assert (not_json._value.get(), unknown._value.get()) == (before[0] + 1, before[1] + 1)
    assert "rejected message" in caplog.text and "not_json" in caplog.text


async def test_alarm_published_while_the_consumer_is_down_arrives_when_it_is_back(
    mqtt: MqttSettings,
) -> None:
    if mqtt.embedded == "always":
        pytest.skip(
            "SERVICE MISSING: Mosquitto. The embedded amqtt 0.12 broker did not hand queued "
            "QoS 1 messages to a returning persistent session when we checked"
        )
    readings: list[Reading] = []

    async def sink(reading: Reading) -> None:
        readings.append(reading)

    first = SensorConsumer(mqtt, sink, KNOWN.__contains__)
    task = await started(first)  # registers the persistent session and its subscriptions
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with broker_client(mqtt, "publisher") as client:
        await client.publish(f"{mqtt.topic_prefix}/heat/heat-1/event", b'{"value": "alarm"}', qos=1)

    task = await started(SensorConsumer(mqtt, sink, KNOWN.__contains__))
    try:
        await wait_readings(readings, 1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [(r.device_id, r.value) for r in readings] == [("heat-1", "alarm")]


async def test_an_alarm_overtakes_a_burst_of_telemetry_queued_before_it(
    mqtt: MqttSettings,
) -> None:
    """Alarms have a connection of their own: one published after 5,000 telemetry messages
    is handled while that telemetry still waits behind a store that does not answer."""
    order: list[str] = []
    store_answers = asyncio.Event()

    async def sink(reading: Reading) -> None:
        if reading.kind != "smoke":
            await store_answers.wait()
        order.append(reading.kind)

    consumer = SensorConsumer(mqtt, sink, KNOWN.__contains__)
    task = await started(consumer)
    try:
        async with broker_client(mqtt, "publisher") as client:
            for n in range(5000):
                body = json.dumps({"value": 20 + n % 5})
                await client.publish(f"{mqtt.topic_prefix}/heat/heat-1/telemetry", body, qos=0)
            await client.publish(
                f"{mqtt.topic_prefix}/smoke/smk-1/event", b'{"value": "alarm"}', qos=1
            )
        async with asyncio.timeout(30):
            while "smoke" not in order:
                await asyncio.sleep(0.01)
        assert order == ["smoke"], f"the alarm waited for telemetry: {len(order)}"
        store_answers.set()
        async with asyncio.timeout(60):
            while len(order) < 5001:  # and the telemetry all comes afterwards
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_no_telemetry_is_handled_while_an_alarm_is_being_committed(
    mqtt: MqttSettings,
) -> None:
    """An alarm's commit awaits the database many times; telemetry waits between its bursts
    until the alarm is done, rather than running a burst at each of those waits."""
    during_alarm: list[str] = []
    alarms_in_hand = 0
    handled: list[str] = []

    async def sink(reading: Reading) -> None:
        nonlocal alarms_in_hand
        handled.append(reading.kind)
        if reading.kind == "smoke":
            alarms_in_hand += 1
            for _ in range(20):  # the awaits of an incident's commit
                await asyncio.sleep(0.001)
            alarms_in_hand -= 1
        elif alarms_in_hand:
            during_alarm.append(reading.kind)
        await asyncio.sleep(0)

    consumer = SensorConsumer(mqtt, sink, KNOWN.__contains__)
    task = await started(consumer)
    try:
        async with broker_client(mqtt, "publisher") as client:
            for n in range(3000):
                body = json.dumps({"value": 20 + n % 5})
                await client.publish(f"{mqtt.topic_prefix}/heat/heat-1/telemetry", body, qos=0)
                if n % 500 == 250:
                    await client.publish(
                        f"{mqtt.topic_prefix}/smoke/smk-1/event", b'{"value": "alarm"}', qos=1
                    )
        async with asyncio.timeout(60):
            while handled.count("smoke") < 6:
                await asyncio.sleep(0.01)
        # A burst already begun finishes (at most one per alarm, of up to 32 messages).
        assert len(during_alarm) <= 6 * 32, f"{len(during_alarm)} readings handled mid-alarm"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
