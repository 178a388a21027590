"""Simulated building sensors: telemetry now and then, an alarm when the scenario says so."""

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import aiomqtt

log = logging.getLogger(__name__)

# Indoor air: a degree of noise, well under a heat detector's 8.3 °C/min rate of rise.
TELEMETRY = {"smoke": ("obscuration", "%/m", 0.0, 0.3), "heat": ("temperature", "°C", 21.5, 22.5)}


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


KINDS = ("smoke", "heat", "gas", "water", "bin", "door")
_KIND_SHARE = (0.4, 0.2, 0.1, 0.1, 0.15, 0.05)
_RANGES = {
    "smoke": ("%/m", 0.0, 0.3),
    "heat": ("°C", 21.5, 22.5),  # noise well under the 8.3 °C/min rate-of-rise
    "gas": ("%LEL", 0.0, 2.0),
    "water": ("mm", 0.0, 0.0),
    "bin": ("%", 5.0, 80.0),
    "door": ("", 0.0, 1.0),
}
_MALFORMED = ("not_json", "not_utf8", "missing_value", "absurd_value", "unknown_device", "bad_time")


def fleet(count: int, seed: int = 0, prefix: str = "sim") -> list[SimulatedSensor]:
    """``count`` sensors with a realistic mix of kinds (most smoke detectors), ids stable."""
    rng = random.Random(seed)
    kinds = rng.choices(KINDS, weights=_KIND_SHARE, k=count)
    return [SimulatedSensor(f"{prefix}-{kind}-{n:05d}", kind) for n, kind in enumerate(kinds)]


def telemetry_body(sensor: SimulatedSensor, rng: random.Random, now: datetime) -> dict[str, object]:
    """One realistic telemetry message of ``sensor``: value, unit, battery, time."""
    unit, low, high = _RANGES.get(sensor.kind, ("", 0.0, 1.0))
    value: object = round(rng.uniform(low, high), 2)
    if sensor.kind == "door":
        value = rng.choice(("closed", "open"))
    elif sensor.kind == "water":
        value = "dry"
    body: dict[str, object] = {
        "value": value,
        "battery": rng.randint(30, 100),
        "ts": now.isoformat(),
    }
    if unit:
        body["unit"] = unit
    return body


def alarm_body(now: datetime) -> dict[str, object]:
    """An alarm event, stamped with the time it is sent (for latency)."""
    return {"value": "alarm", "ts": now.isoformat(), "battery": 88}


def malformed_message(
    sensor: SimulatedSensor, prefix: str, rng: random.Random, now: datetime
) -> tuple[str, bytes]:
    """A message the consumer must reject (and dead-letter), on a topic it subscribes to."""
    topic = f"{prefix}/{sensor.kind}/{sensor.id}/telemetry"
    flaw = rng.choice(_MALFORMED)
    if flaw == "not_json":
        return topic, b'{"value": 21.5, "unit": "\xc2\xb0C", "battery": 8'
    if flaw == "not_utf8":
        return topic, b'{"value": "\xff\xfe alarm"}'
    if flaw == "missing_value":
        return topic, json.dumps({"val": 21.5, "ts": now.isoformat()}).encode()
    if flaw == "absurd_value":
        return f"{prefix}/heat/{sensor.id}/telemetry", json.dumps({"value": 4000.0}).encode()
    if flaw == "unknown_device":
        return f"{prefix}/smoke/intruder-{rng.randint(0, 999)}/event", b'{"value": "alarm"}'
    return topic, json.dumps({"value": 1.0, "ts": "1999-01-01T00:00:00+00:00"}).encode()


async def run_telemetry(
    client: aiomqtt.Client,
    prefix: str,
    sensors: list[SimulatedSensor],
    *,
    period_s: float = 60.0,
    alarm_every_s: float | None = 30.0,
    seed: int = 0,
) -> None:
    """Each sensor reports every ``period_s`` (spread evenly); one random alarm every
    ``alarm_every_s``; until cancelled."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    gap = period_s / max(1, len(sensors))
    next_alarm = loop.time() + (alarm_every_s or 0)
    while True:
        for sensor in sensors:
            await publish_reading(
                client, prefix, sensor, "telemetry", telemetry_body(sensor, rng, datetime.now(UTC))
            )
            if alarm_every_s and loop.time() >= next_alarm:
                next_alarm += alarm_every_s
                alarmed = rng.choice(sensors)
                await publish_reading(
                    client, prefix, alarmed, "event", alarm_body(datetime.now(UTC))
                )
                log.info("simulator: %s %s alarm", alarmed.kind, alarmed.id)
            await asyncio.sleep(gap)
