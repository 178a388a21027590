"""Simulated building sensors: telemetry now and then, an alarm when the scenario says so."""

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import aiomqtt

log = logging.getLogger(__name__)

TELEMETRY = {"smoke": ("obscuration", "%/m", 0.0, 0.3), "heat": ("temperature", "°C", 18.0, 26.0)}


@dataclass(frozen=True, slots=True)
class SimulatedSensor:
    """One sensor to simulate; ``alarm_at_s`` seconds after start it raises its alarm."""

    id: str
    kind: str
    alarm_at_s: float | None = None


async def publish_reading(
    client: aiomqtt.Client, prefix: str, sensor: SimulatedSensor, channel: str, body: object
) -> None:
    """Publish one JSON message on the sensor's topic (QoS 1)."""
    topic = f"{prefix}/{sensor.kind}/{sensor.id}/{channel}"
    await client.publish(topic, json.dumps(body, ensure_ascii=False), qos=1)


async def run_fleet(
    client: aiomqtt.Client,
    prefix: str,
    sensors: list[SimulatedSensor],
    *,
    period_s: float = 5.0,
    seed: int = 0,
) -> None:
    """Publish telemetry every ``period_s`` and each scheduled alarm once; until cancelled."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    started = loop.time()
    pending = {s.id: s.alarm_at_s for s in sensors if s.alarm_at_s is not None}
    next_telemetry = 0.0
    while True:
        elapsed = loop.time() - started
        for sensor in sensors:
            if sensor.id in pending and elapsed >= pending[sensor.id]:
                del pending[sensor.id]
                now = datetime.now(UTC).isoformat()
                await publish_reading(
                    client, prefix, sensor, "event", {"value": "alarm", "ts": now}
                )
                log.info("simulator: sensor %s raised its %s alarm", sensor.id, sensor.kind)
        if elapsed >= next_telemetry:
            next_telemetry = elapsed + period_s
            for sensor in sensors:
                if sensor.kind in TELEMETRY:
                    _, unit, low, high = TELEMETRY[sensor.kind]
                    body = {"value": round(rng.uniform(low, high), 2), "unit": unit, "battery": 90}
                    await publish_reading(client, prefix, sensor, "telemetry", body)
        await asyncio.sleep(0.25 if pending else period_s)
