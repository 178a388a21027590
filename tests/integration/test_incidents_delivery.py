"""Detections become incidents with an outbox row; the publisher delivers them to 一网管,
signed, once in effect, and keeps what it could not deliver until the endpoint is back."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.server import serve_app
from config.delivery import DeliverySettings
from detectors.model import Detection, Reading
from incidents.engine import IncidentEngine
from incidents.metrics import DELIVERY_FAILURES
from incidents.publisher import OutboxPublisher
from incidents.schema import incidents, outbox
from simulator.receiver import ReceivedEvents, create_receiver
from tests.conftest import SECRET, free_port

pytestmark = pytest.mark.integration


def fire_at(camera: str = "cam-nmy-01", confidence: float = 0.8) -> Detection:
    return Detection(
        "fire", "camera", camera, datetime.now(UTC), confidence, box=(0.1, 0.2, 0.1, 0.1)
    )


def smoke_alarm(sensor: str = "smk-bgy-5-301") -> Detection:
    now = datetime.now(UTC)
    return Detection(
        "sensor.smoke", "sensor", sensor, now, 0.9, reading=Reading(sensor, "smoke", "alarm", now)
    )


def delivery(endpoint: str) -> DeliverySettings:
    return DeliverySettings.model_validate(
        {
            "endpoint": endpoint,
            "secret": SECRET,
            "retry_initial_s": 0.05,
            "retry_max_s": 0.2,
            "timeout_s": 2,
        }
    )


async def rows(engine: AsyncEngine, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.select(table))).all())


async def test_a_detection_opens_an_incident_and_its_outbox_event_together(
    engine: AsyncEngine,
) -> None:
    outcome = await IncidentEngine(engine, "urn:test").record(fire_at())
    assert outcome.opened
    (incident,) = await rows(engine, incidents)
    (event_row,) = await rows(engine, outbox)
    assert (incident.type, incident.status, incident.grid_id) == ("fire", "open", "520626001001003")
    assert event_row.incident_id == incident.id and event_row.delivered_at is None
    event = event_row.payload
    assert event["specversion"] == "1.0" and event["id"] == event_row.event_id
    assert event["data"]["area"]["grid"]["id"] == "520626001001003"
    assert (
        event["data"]["area"]["point"]["gcj02"]["lat"]
        != event["data"]["area"]["point"]["wgs84"]["lat"]
    )
    assert (event["data"]["category"], event["data"]["severity"]) == ("Fire", "Severe")


async def test_more_detections_of_an_active_incident_update_it_instead_of_opening_another(
    engine: AsyncEngine,
) -> None:
    recorder = IncidentEngine(engine, "urn:test")
    first = await recorder.record(fire_at(confidence=0.6))
    again = await recorder.record(fire_at(confidence=0.9))
    other = await recorder.record(smoke_alarm())
    assert first.opened and not again.opened and other.opened
    assert again.incident_id == first.incident_id
    by_id = {row.id: row for row in await rows(engine, incidents)}
    assert by_id[first.incident_id].detections == 2
    assert by_id[first.incident_id].peak_confidence == pytest.approx(0.9)
    assert len(await rows(engine, outbox)) == 2


async def test_publisher_delivers_signed_cloudevents_and_marks_them_delivered(
    engine: AsyncEngine, receiver: tuple[str, ReceivedEvents]
) -> None:
    url, received = receiver
    recorder = IncidentEngine(engine, "urn:test")
    await recorder.record(fire_at())
    await recorder.record(smoke_alarm())
    async with httpx.AsyncClient() as client:
        publisher = OutboxPublisher(engine, delivery(url), client)
        assert await publisher.drain_once() == 2
        assert await publisher.drain_once() == 0  # nothing is sent twice once delivered
    assert {e["data"]["event"] for e in received.events.values()} == {"fire", "smoke_alarm"}
    assert received.rejected == 0 and received.duplicates == 0
    assert all(row.delivered_at is not None for row in await rows(engine, outbox))


async def test_unreachable_endpoint_is_counted_and_the_event_delivered_once_it_is_back(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/events"
    await IncidentEngine(engine, "urn:test").record(smoke_alarm())
    before = DELIVERY_FAILURES.labels("unreachable")._value.get()
    store = ReceivedEvents()
    async with httpx.AsyncClient() as client:
        publisher = OutboxPublisher(engine, delivery(url), client)
        assert await publisher.drain_once() == 0
        assert DELIVERY_FAILURES.labels("unreachable")._value.get() == before + 1
        assert "failed (unreachable" in caplog.text and "retry in" in caplog.text
        (row,) = await rows(engine, outbox)
        assert row.delivered_at is None and row.attempts == 1 and "unreachable" in row.last_error
        async with serve_app(create_receiver(SECRET, store), "127.0.0.1", port):
            task = asyncio.create_task(publisher.run())
            for _ in range(100):
                if store.events:
                    break
                await asyncio.sleep(0.05)
            task.cancel()
    assert len(store.events) == 1
    (row,) = await rows(engine, outbox)
    assert row.delivered_at is not None


async def test_receiver_answers_a_duplicate_without_storing_it_twice(
    engine: AsyncEngine, receiver: tuple[str, ReceivedEvents]
) -> None:
    url, received = receiver
    await IncidentEngine(engine, "urn:test").record(fire_at())
    async with httpx.AsyncClient() as client:
        publisher = OutboxPublisher(engine, delivery(url), client)
        await publisher.drain_once()
        async with engine.begin() as conn:  # as if the 2xx had been lost: send it again
            await conn.execute(sa.update(outbox).values(delivered_at=None))
        assert await publisher.drain_once() == 1
    assert len(received.events) == 1 and received.duplicates == 1


async def test_receiver_refuses_a_forged_signature(receiver: tuple[str, ReceivedEvents]) -> None:
    url, received = receiver
    body = b'{"specversion":"1.0","id":"x","source":"s","type":"t"}'
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            url,
            content=body,
            headers={
                "content-type": "application/cloudevents+json",
                "webhook-id": "x",
                "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
                "webhook-signature": "v1,Zm9yZ2Vk",
            },
        )
    assert answer.status_code == 401 and received.rejected == 1 and not received.events
