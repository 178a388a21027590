"""`tianwang bench sensors`: sensor messages through the real broker into incidents.

A separate publisher process (``python -m tianwang.bench_sensors``) sends mixed telemetry,
alarms and 10 % malformed messages at a fixed rate through the broker; this process runs the
real consumer (shared subscription, persistent session, QoS 1), the rules and the incident
engine on a fresh SQLite registry. The broker is a private Mosquitto with the settings
tianwang asks of a broker (config/mosquitto.conf), or with ``broker="configured"`` the one
in the settings (a default Mosquitto drops QoS 1 messages beyond 1,000 queued per client). Figures: messages per CPU-second of this process (per
core), alarm → incident-committed latency (alarm ``ts`` set at publish time), dead letters.
"""

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.schema import grids, sensors
from config.settings import Settings
from detectors.model import Reading
from detectors.sensor_rules import SensorRules
from ingest.dead_letters import DeadLetters, dead_letter_counts
from ingest.sensors import SensorConsumer
from simulator.ports import free_port
from simulator.sensor_fleet import alarm_body, fleet, malformed_message, telemetry_body
from tianwang.broker import mqtt_broker, private_mosquitto
from tianwang.heap import freeze_start_up_objects
from tianwang.migrate import upgrade

FLEET = 1000


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _registry(url: str, settings: Settings, ids: list[tuple[str, str]]) -> Any:
    engine = open_engine(url)
    await upgrade(engine)
    if settings.places_file is not None:
        await load_places(engine, read_places(settings.places_file))
    async with engine.begin() as conn:
        grid = (await conn.execute(sa.select(grids.c.id).limit(1))).scalar_one()
        await conn.execute(
            sa.insert(sensors), [{"id": i, "kind": k, "grid_id": grid} for i, k in ids]
        )
    return engine


async def bench_sensors(
    settings: Settings,
    messages: int,
    *,
    rate: float = 6000.0,
    version: str = "5",
    alarm_share: float = 0.002,
    malformed_share: float = 0.1,
    broker: str = "own",
) -> dict[str, Any]:
    """Run one benchmark and return its figures (the JSON line's fields and a few more)."""
    from incidents.engine import IncidentEngine
    from tianwang.pipeline import publication

    tag = uuid.uuid4().hex[:8]
    mqtt = settings.mqtt.model_copy(
        update={
            "client_id": f"tw-bench-{tag}",
            "topic_prefix": f"tianwang-bench-{tag}/v1",
            "version": version,
            "session_expiry_s": 120,
            "max_inflight": 1000,
        }
        | (
            {"host": "127.0.0.1", "port": free_port(), "embedded": "never"}
            if broker == "own"
            else {}
        )
    )
    sims = fleet(FLEET, seed=1, prefix="bench")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack():
        engine = await _registry(
            f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            settings,
            [(s.id, s.kind) for s in sims],
        )
        incidents = IncidentEngine(engine, publication(settings))
        rules = SensorRules()
        latencies: list[float] = []
        arrivals: list[float] = []
        commits: list[float] = []
        accepted = 0

        async def sink(reading: Reading) -> None:
            # As the service's Pipeline.on_reading: committed before the message is acked.
            nonlocal accepted
            accepted += 1
            for detection in rules.evaluate(reading):
                arrived = datetime.now(UTC)
                await incidents.record(detection)
                committed = datetime.now(UTC)
                latencies.append((committed - detection.at).total_seconds() * 1000)
                arrivals.append((arrived - detection.at).total_seconds() * 1000)
                commits.append((committed - arrived).total_seconds() * 1000)

        dead = DeadLetters(engine, batch=1000)
        known = {s.id for s in sims}
        serving = private_mosquitto(mqtt.host, mqtt.port) if broker == "own" else mqtt_broker(mqtt)
        spec = {
            "host": mqtt.host,
            "port": mqtt.port,
            "prefix": mqtt.topic_prefix,
            "messages": messages,
            "rate": rate,
            "version": version,
            "alarm_share": alarm_share,
            "malformed_share": malformed_share,
            "fleet": FLEET,
        }
        async with serving as where:
            baseline = await _baseline(spec)
            consumer = SensorConsumer(mqtt, sink, known.__contains__, dead_letters=dead)
            tasks = [asyncio.create_task(t) for t in (consumer.run(), dead.run())]
            await asyncio.wait_for(consumer.ready.wait(), 30)
            freeze_start_up_objects()  # as `tianwang serve` does once it runs
            cpu0, wall0 = time.process_time(), time.perf_counter()
            sent = await _publish(spec | {"version": consumer.version})
            # Wait until everything sent is accounted for, or nothing moves for 10 s.
            last, still = -1, 0.0
            while True:
                seen = accepted + dead.written + len(dead._queued)
                done = seen >= sent["sent"] and len(latencies) >= sent["alarms"]
                if done or still > 10:
                    break
                still = still + 0.1 if seen == last else 0.0
                last = seen
                await asyncio.sleep(0.1)
            wall1, cpu1 = time.perf_counter(), time.process_time()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        stored = sum((await dead_letter_counts(engine)).values())
        await engine.dispose()
    received = accepted + stored
    cpu_s = max(cpu1 - cpu0, 1e-9)
    return {
        "messages": messages,
        "mqtt_version": 5 if consumer.version == "5" else 3,
        "msgs_per_s_per_core": round(received / cpu_s, 1),
        "alarm_latency_p50_ms": round(_percentile(latencies, 0.5), 1),
        "alarm_latency_p99_ms": round(_percentile(latencies, 0.99), 1),
        "malformed_sent": sent["malformed"],
        "dead_letters": stored,
        "lost": sent["sent"] - received + max(0, sent["alarms"] - len(latencies)),
        "broker": where,
        "publish_rate": rate,
        "wall_msgs_per_s": round(received / max(wall1 - wall0, 1e-9), 1),
        "cpu_s": round(cpu_s, 2),
        "alarms": sent["alarms"],
        "incidents_committed": len(latencies),
        "alarm_arrival_p99_ms": round(_percentile(arrivals, 0.99), 1),
        "alarm_commit_p99_ms": round(_percentile(commits, 0.99), 1),
        "baseline_msgs_per_s_per_core": baseline["msgs_per_s_per_core"],
        "baseline_received": baseline["received"],
        "vs_baseline": round(received / cpu_s / baseline["msgs_per_s_per_core"], 2),
        "publisher_cpu_s": sent["cpu_ms"] / 1000,
        "publisher_late_s": sent["late_ms"] / 1000,
    }


async def _publish(spec: dict[str, Any]) -> dict[str, int]:
    """Run the publisher process on ``spec`` until every message is acknowledged; its counts."""
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tianwang.bench_sensors", json.dumps(spec), stdout=subprocess.PIPE
    )
    out, _ = await publisher.communicate()
    counts: dict[str, int] = json.loads(out.decode().strip().splitlines()[-1])
    return counts


async def _baseline(spec: dict[str, Any]) -> dict[str, float]:
    """The same publisher and broker into a stock aiomqtt subscriber that does nothing
    (``tianwang.bench_mqtt_baseline``, a process of its own): messages per CPU-second."""
    topics = spec | {"prefix": f"{spec['prefix']}-baseline"}
    counter = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tianwang.bench_mqtt_baseline",
        json.dumps(topics | {"expected": spec["messages"], "idle_s": 10.0}),
        stdout=subprocess.PIPE,
    )
    assert counter.stdout is not None
    await asyncio.wait_for(counter.stdout.readline(), 30)  # READY: subscribed
    await _publish(topics)
    out, _ = await counter.communicate()
    counted = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "received": int(counted["received"]),
        "msgs_per_s_per_core": round(counted["received"] / counted["cpu_s"], 1),
    }


def _messages(spec: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """Every message the publisher will send, built before its clock starts: (what, topic,
    payload), ``what`` one of "telemetry", "malformed", "alarm". An alarm's body is built
    again as it is sent, stamped with its send time.

    The publisher's clock is then spent on sending alone. It still takes about 0.6 of a core
    at 6,000 messages a second (paho's publish and acknowledgement handling), which a 2-core
    machine takes from the broker and the consumer.
    """
    rng = random.Random(7)
    sims = fleet(spec["fleet"], seed=1, prefix="bench")
    prefix = spec["prefix"]
    now = datetime.now(UTC)
    built = []
    for n in range(spec["messages"]):
        sensor = sims[n % len(sims)]
        draw = rng.random()
        if draw < spec["malformed_share"]:
            built.append(("malformed", *malformed_message(sensor, prefix, rng, now)))
        elif draw < spec["malformed_share"] + spec["alarm_share"] and sensor.kind in (
            "smoke",
            "gas",
            "heat",
        ):
            built.append(("alarm", f"{prefix}/{sensor.kind}/{sensor.id}/event", b""))
        else:
            body = telemetry_body(sensor, rng, now) | {
                "site": "djyx-2",
                "building": "德江印象 2栋",
                "fw": "v2.3.1",
                "rssi": -67,
                "seq": n,
            }
            topic = f"{prefix}/{sensor.kind}/{sensor.id}/telemetry"
            built.append(("telemetry", topic, json.dumps(body).encode()))
    return built


def publish(spec: dict[str, Any]) -> dict[str, int]:
    """The publisher process: paho at a fixed rate, QoS 1, all acknowledged before it returns.

    One thread drives paho's loop between publishes: with paho's network thread
    (``loop_start``) the two threads' lock hand-offs cost more than the messages, and a
    publisher short of CPU falls behind and makes the consumer's latency look worse.
    Telemetry and malformed messages are built before the clock starts (a telemetry ``ts``
    is its build time, seconds before it is sent); an alarm is stamped as it is sent.
    """
    import paho.mqtt.client as paho

    # The publisher speaks MQTT 3.1.1 whatever the consumer speaks (the broker delivers to
    # each subscriber in its own protocol); measured here, MQTT 5 cost the publisher no more.
    v5 = spec.get("publisher_version", "3.1.1") == "5"
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,  # type: ignore[attr-defined]
        client_id=f"bench-pub-{uuid.uuid4().hex[:8]}",
        protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    messages = _messages(spec)
    client.connect(spec["host"], spec["port"])
    counts = {"sent": 0, "malformed": 0, "alarms": 0}
    started, cpu_started = time.perf_counter(), time.process_time()
    infos = []
    for n, (what, topic, payload) in enumerate(messages):
        if what == "alarm":
            payload = json.dumps(alarm_body(datetime.now(UTC))).encode()
            counts["alarms"] += 1
        elif what == "malformed":
            counts["malformed"] += 1
        infos.append(client.publish(topic, payload, qos=1))
        counts["sent"] += 1
        due = started + (n + 1) / spec["rate"]
        if n % 64 == 0:
            client.loop(timeout=0)  # acks read, queued messages sent
        while (ahead := due - time.perf_counter()) > 0.001:
            client.loop(timeout=ahead)  # returns early when acks arrive
    deadline = time.monotonic() + 60
    while not all(info.is_published() for info in infos) and time.monotonic() < deadline:
        client.loop(timeout=0.05)
    # The load generator's own health: a publisher that cannot keep its rate stamps alarms
    # it has not sent yet, and their latency counts its lag.
    counts["late_ms"] = round(
        max(0.0, time.perf_counter() - started - spec["messages"] / spec["rate"]) * 1000
    )
    counts["cpu_ms"] = round((time.process_time() - cpu_started) * 1000)  # sending only
    client.disconnect()
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bench publisher (run by tianwang bench sensors)")
    parser.add_argument("spec")
    print(json.dumps(publish(json.loads(parser.parse_args().spec))), flush=True)
