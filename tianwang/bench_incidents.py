"""`tianwang bench incidents`: detections turned into committed incidents, and messages
delivered to a local 一网管 stand-in (its own process), with detection → 2xx latency.

The baseline, run in the same process against the same receiver, is bare signed POSTs
with no database: the ratio says what the outbox costs on top of HTTP.
"""

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from camera_registry.database import open_engine
from camera_registry.ledger_csv import write_rows
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import load_places, read_places
from config.delivery import DeliverySettings
from config.settings import SAMPLE_DIR
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.publisher import OutboxPublisher, encode
from incidents.schema import outbox
from incidents.signing import signed_headers
from incidents.versions import Publication
from simulator.ports import free_port
from tianwang.migrate import upgrade

SECRET = "whsec_YmVuY2gtaW5jaWRlbnRzLXNlY3JldC0zMi1ieXRlcyE="


@contextlib.asynccontextmanager
async def _receiver_process(port: int) -> Any:
    env_secret = {"TIANWANG_DELIVERY__SECRET": SECRET}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("tianwang")), "receiver", "--port", str(port),
        env={**os.environ, **env_secret}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as client, asyncio.timeout(30):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}/events"
    finally:
        process.terminate()
        await process.wait()


async def _baseline(url: str, count: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:

        async def post() -> None:
            event_id = str(uuid.uuid4())
            body = encode(
                {"specversion": "1.0", "id": event_id, "source": "bench", "type": "bench"}
            )
            headers = {
                "content-type": "application/cloudevents+json",
                **signed_headers(SECRET, event_id, body),
            }
            async with gate:
                (await client.post(url, content=body, headers=headers)).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(count)))
        return count / (time.perf_counter() - start)


async def bench_incidents(detections: int, database_url: str | None = None) -> dict[str, Any]:
    """Run the benchmark; the figures are described in the README."""
    places = read_places(SAMPLE_DIR / "dejiang_places.yaml")
    ledger = generate_ledger(detections, places, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            await upgrade(engine)
            await load_places(engine, places)
            await import_ledger(engine, write_rows(ledger).encode(), "520626")
            async with engine.connect() as conn:
                cameras = [
                    r[0]
                    for r in (
                        await conn.execute(sa.text("select id from cameras order by id"))
                    ).all()
                ]
            async with _receiver_process(free_port()) as url:
                settings = DeliverySettings.model_validate(
                    {
                        "endpoint": url,
                        "secret": SECRET,
                        "poll_s": 0.02,
                        "batch": 200,
                        "concurrency": 16,
                    }
                )
                raw_per_s = await _baseline(url, min(detections, 2000), settings.concurrency)
                recorder = IncidentEngine(
                    engine, Publication("urn:tianwang:bench", "Test", "520626")
                )
                async with httpx.AsyncClient() as client:
                    publisher = OutboxPublisher(engine, settings, client)
                    publishing = asyncio.create_task(publisher.run())
                    start = time.perf_counter()
                    for camera in cameras[:detections]:
                        await recorder.record(
                            Detection("fire", "camera", camera, datetime.now(UTC), 0.9)
                        )
                    recorded_s = time.perf_counter() - start
                    async with asyncio.timeout(600):
                        while True:
                            async with engine.connect() as conn:
                                left = (
                                    await conn.execute(
                                        sa.select(sa.func.count())
                                        .select_from(outbox)
                                        .where(
                                            outbox.c.destination == "yiwangguan",
                                            outbox.c.delivered_at.is_(None),
                                        )
                                    )
                                ).scalar_one()
                            if left == 0:
                                break
                            await asyncio.sleep(0.05)
                    delivered_s = time.perf_counter() - start
                    publishing.cancel()
                    await asyncio.gather(publishing, return_exceptions=True)
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.text(
                    "select i.opened_at, o.delivered_at from outbox o join incidents i on i.id = o.incident_id "
                    "where o.destination = 'yiwangguan' and o.version = 1"
                ))).all()  # fmt: skip
                incidents = (
                    await conn.execute(sa.text("select count(*) from incidents"))
                ).scalar_one()
        finally:
            await engine.dispose()
    latencies = sorted(
        (_aware(d) - _aware(o)).total_seconds() * 1000 for o, d in rows if d is not None
    )
    delivered = len(latencies)
    p99 = (
        latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        if latencies
        else float("nan")
    )
    return {
        "detections": detections,
        "incidents": int(incidents),
        "incidents_per_s": round(detections / recorded_s, 1),
        "delivered_per_s": round(delivered / delivered_s, 1),
        "raw_post_per_s": round(raw_per_s, 1),
        "delivered_vs_raw_post": round(delivered / delivered_s / raw_per_s, 2),
        "detection_to_2xx_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "detection_to_2xx_p99_ms": round(p99, 1),
        "lost": detections - delivered,
    }


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
