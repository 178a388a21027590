"""The outbox publisher against a real HTTP receiver and a real MQTT broker: signed,
schema-valid, once in effect, in order, patient with 429/5xx, and nothing lost."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jsonschema
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from api.server import serve_app
from camera_registry.schema import grid_workers
from config.delivery import DeliverySettings
from config.mqtt import MqttSettings
from detectors.model import Detection, Reading
from incidents.engine import IncidentEngine
from incidents.lifecycle import transition
from incidents.metrics import DELIVERY_FAILURES
from incidents.publisher import OutboxPublisher, retry_after
from incidents.schema import outbox
from ingest.sensors import broker_client
from simulator.receiver import Faults, ReceivedEvents, create_receiver
from tests.conftest import PUB, SECRET, free_port

pytestmark = pytest.mark.integration
SCHEMA = json.loads(Path("incidents/schemas/incident-event.v1.json").read_text())


def fire_at(camera: str = "cam-nmy-01") -> Detection:
    return Detection("fire", "camera", camera, datetime.now(UTC), 0.8, box=(0.1, 0.2, 0.1, 0.1))


def smoke_alarm(sensor: str = "smk-bgy-5-301") -> Detection:
    now = datetime.now(UTC)
    return Detection(
        "sensor.smoke", "sensor", sensor, now, 0.9, reading=Reading(sensor, "smoke", "alarm", now)
    )


def delivery(endpoint: str, **overrides: object) -> DeliverySettings:
    base = {
        "endpoint": endpoint,
        "secret": SECRET,
        "retry_initial_s": 0.05,
        "retry_max_s": 0.2,
        "timeout_s": 2,
    }
    return DeliverySettings.model_validate(base | overrides)


async def rows(engine: AsyncEngine) -> list[sa.Row[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.select(outbox).order_by(outbox.c.id))).all())


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def drain_until(
    publisher: OutboxPublisher,
    engine: AsyncEngine,
    prefix: str = "yiwangguan",
    timeout_s: float = 15,
) -> None:
    """Drain until every message to destinations starting with ``prefix`` is delivered."""
    async with asyncio.timeout(timeout_s):
        while any(
            r.delivered_at is None and r.dead_at is None and r.destination.startswith(prefix)
            for r in await rows(engine)
        ):
            await publisher.drain_once()
            await asyncio.sleep(0.05)


async def test_messages_are_signed_schema_valid_cloudevents_and_marked_delivered(
    engine: AsyncEngine, receiver: tuple[str, ReceivedEvents], http: httpx.AsyncClient
) -> None:
    url, received = receiver
    recorder = IncidentEngine(engine, PUB)
    await recorder.record(fire_at())
    await recorder.record(smoke_alarm())
    publisher = OutboxPublisher(engine, delivery(url), http)  # no broker: grid alerts wait
    assert await publisher.drain_once() == 2
    assert await publisher.drain_once() == 0  # nothing is sent twice once delivered
    for event in received.events.values():
        jsonschema.validate(event, SCHEMA)
    assert {e["data"]["event"] for e in received.events.values()} == {"fire", "smoke_alarm"}
    fire = next(e for e in received.events.values() if e["data"]["event"] == "fire")
    assert fire["data"]["sources"] == [
        {"kind": "camera", "id": "cam-nmy-01", "gbId": "52062600001320800001"}
    ]
    assert fire["data"]["area"]["grid"]["code"] == "520626001001003"
    assert fire["data"]["area"]["countyCode"] == "520626" and fire["data"]["status"] == "Test"
    assert received.rejected == 0 and received.duplicates == 0


async def test_unreachable_endpoint_is_counted_and_the_event_delivered_once_it_is_back(
    engine: AsyncEngine, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/events"
    await IncidentEngine(engine, PUB).record(smoke_alarm())
    before = DELIVERY_FAILURES.labels("unreachable")._value.get()
    publisher = OutboxPublisher(engine, delivery(url), http)
    assert await publisher.drain_once() == 0
    assert DELIVERY_FAILURES.labels("unreachable")._value.get() >= before + 1
    assert (
        "to 一网管" in caplog.text
        and "failed (unreachable" in caplog.text
        and "retry in" in caplog.text
    )
    pending = [r for r in await rows(engine) if r.destination == "yiwangguan"]
    assert pending[0].delivered_at is None and pending[0].attempts == 1
    store = ReceivedEvents()
    async with serve_app(create_receiver(SECRET, store), "127.0.0.1", port):
        async with asyncio.timeout(15):
            while not store.events:
                await publisher.drain_once()
                await asyncio.sleep(0.05)
    assert len(store.events) == 1


async def test_a_lost_answer_means_a_resend_that_the_receiver_recognises(
    engine: AsyncEngine, receiver: tuple[str, ReceivedEvents], http: httpx.AsyncClient
) -> None:
    url, received = receiver
    await IncidentEngine(engine, PUB).record(fire_at())
    publisher = OutboxPublisher(engine, delivery(url), http)
    await publisher.drain_once()
    async with engine.begin() as conn:  # as if the 2xx had been lost: send it again
        await conn.execute(sa.update(outbox).values(delivered_at=None))
    assert await publisher.drain_once() == 1
    assert len(received.events) == 1 and received.duplicates == 1


async def test_a_4xx_refusal_is_a_dead_letter_an_operator_sees_and_replays(
    engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    await IncidentEngine(engine, PUB).record(fire_at())
    store = ReceivedEvents()
    port = free_port()
    async with serve_app(
        create_receiver("whsec_d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==", store), "127.0.0.1", port
    ):
        publisher = OutboxPublisher(engine, delivery(f"http://127.0.0.1:{port}/events"), http)
        await publisher.drain_once()  # 401: the receiver has another secret
    dead = [r for r in await rows(engine) if r.dead_at is not None]
    assert len(dead) == 1 and dead[0].last_error.startswith("http_401")
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(engine)),
        base_url="http://api",
        headers={"Authorization": f"Bearer {await token_for(engine, 'op-1', Role.operator)}"},
    )
    listed = (await api.get("/api/v1/deliveries", params={"state": "dead"})).json()
    assert [d["id"] for d in listed] == [dead[0].id]
    assert (await publisher.drain_once()) == 0  # a dead letter is not retried by itself
    async with serve_app(create_receiver(SECRET, store), "127.0.0.1", port):
        replayed = await api.post(f"/api/v1/deliveries/{dead[0].id}/replay")
        assert replayed.status_code == 200 and replayed.json()["dead_at"] is None
        assert await publisher.drain_once() == 1
    assert len(store.events) == 1 and next(iter(store.events)) == dead[0].event_id
    await api.aclose()


async def test_a_503_with_retry_after_is_retried_no_sooner_than_asked(
    engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    await IncidentEngine(engine, PUB).record(fire_at())
    store = ReceivedEvents()
    async with serve_app(create_receiver(SECRET, store, Faults(fail=1.0)), "127.0.0.1", 0) as base:
        publisher = OutboxPublisher(engine, delivery(f"{base}/events"), http)
        await publisher.drain_once()
    row = next(r for r in await rows(engine) if r.destination == "yiwangguan")
    assert row.last_error.startswith("http_503")
    assert (row.next_attempt_at - datetime.now(UTC)).total_seconds() > 0.7  # Retry-After: 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert retry_after("7", now) == 7
    assert retry_after("Fri, 27 Nov 2026 08:00:30 GMT", now) == 30
    assert retry_after("soon", now) is None and retry_after(None, now) is None


async def test_versions_of_one_incident_arrive_in_order_even_when_the_first_is_retried(
    engine: AsyncEngine, http: httpx.AsyncClient
) -> None:
    opened = await IncidentEngine(engine, PUB).record(fire_at())
    assert opened.incident_id is not None
    for step in ("acknowledged", "dispatched", "on_site", "resolved"):
        await transition(engine, opened.incident_id, step, actor="op-1", note=None, pub=PUB)  # type: ignore[arg-type]
    store = ReceivedEvents()
    faults = Faults(fail=0.3, drop=0.2)  # every 503 says Retry-After: 1
    async with serve_app(create_receiver(SECRET, store, faults), "127.0.0.1", 0) as base:
        publisher = OutboxPublisher(
            engine, delivery(f"{base}/events", retry_initial_s=0.01, retry_max_s=0.05), http
        )
        await drain_until(publisher, engine)
    assert store.versions() == {opened.incident_id: [1, 2, 3, 4, 5]}
    assert faults.counts["failed"] + faults.counts["dropped"] > 0


async def test_grid_alerts_go_to_the_grid_topic_and_the_workers_webhook(
    engine: AsyncEngine, mqtt: MqttSettings, http: httpx.AsyncClient
) -> None:
    worker_store = ReceivedEvents()
    async with serve_app(create_receiver(SECRET, worker_store), "127.0.0.1", 0) as worker_url:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(grid_workers)
                .where(grid_workers.c.grid_id == "520626001001003")
                .values(webhook_url=f"{worker_url}/events")
            )
        yiwangguan = ReceivedEvents()
        async with (
            serve_app(create_receiver(SECRET, yiwangguan), "127.0.0.1", 0) as base,
            broker_client(mqtt, "grid-listener") as listener,
        ):
            await listener.subscribe(f"{mqtt.topic_prefix}/alerts/grid/520626001001003", qos=1)
            await IncidentEngine(engine, PUB).record(fire_at())
            publisher = OutboxPublisher(engine, delivery(f"{base}/events"), http, mqtt)
            await drain_until(publisher, engine, prefix="")
            async with asyncio.timeout(10):
                message = await anext(aiter(listener.messages))
    alert = json.loads(bytes(message.payload))  # type: ignore[arg-type]
    jsonschema.validate(alert, SCHEMA)
    assert alert["data"]["dispatch"]["grid"] == "520626001001003"
    assert alert["data"]["dispatch"]["workers"] == [
        {"id": "gw-520626001001003", "name": "第3网格 网格员"}
    ]
    assert len(worker_store.events) == 1 and len(yiwangguan.events) == 1
    ids = {next(iter(worker_store.events)), next(iter(yiwangguan.events)), alert["id"]}
    assert len(ids) == 3  # one id per message
