"""Holding a connection's socket reads on a real broker: nothing is read while held,
nothing is lost, and reading resumes on release."""

import asyncio

import pytest

from config.mqtt import MqttSettings
from ingest.mqtt_socket import HeldReads, buffer_reads
from ingest.sensors import broker_client

pytestmark = pytest.mark.integration


async def test_held_reads_wait_in_the_socket_and_all_come_on_release(mqtt: MqttSettings) -> None:
    topic = f"{mqtt.topic_prefix}/heat/heat-1/telemetry"
    async with (
        broker_client(mqtt, "held-reader") as reader,
        broker_client(mqtt, "held-writer") as writer,
    ):
        buffer_reads(reader)
        held = HeldReads(reader)
        held.install()
        await reader.subscribe(topic, qos=1)
        held.hold()
        for n in range(200):
            await writer.publish(topic, str(n).encode(), qos=1)
        await asyncio.sleep(0.5)
        assert reader._queue.qsize() == 0, "read while held"
        held.release()
        got: list[bytes] = []
        async with asyncio.timeout(10):
            async for message in reader.messages:
                got.append(bytes(message.payload))
                if len(got) == 200:
                    break
        assert got == [str(n).encode() for n in range(200)]
