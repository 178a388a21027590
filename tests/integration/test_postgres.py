"""The same schema and incident path on PostgreSQL, the fleet's database."""

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from camera_registry.camera_store import list_cameras, set_camera_status
from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.seed import load_devices, read_devices
from config.delivery import DeliverySettings
from config.settings import SAMPLE_DIR
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.publisher import OutboxPublisher
from incidents.schema import outbox
from simulator.receiver import ReceivedEvents
from tests.conftest import PUB, SECRET
from tianwang.migrate import upgrade

pytestmark = pytest.mark.integration


async def test_migrations_seed_incidents_and_delivery_work_on_postgresql(
    pg_url: str, receiver: tuple[str, ReceivedEvents]
) -> None:
    engine = open_engine(pg_url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # applying again is a no-op
        assert await load_places(engine, read_places(SAMPLE_DIR / "dejiang_places.yaml"))
        devices = read_devices(SAMPLE_DIR / "dejiang_demo.yaml")
        assert await load_devices(engine, devices, "520626")
        assert not await load_devices(engine, devices, "520626")
        await set_camera_status(engine, "cam-nmy-01", "offline", "refused")
        cameras = {c.id: c for c in (await list_cameras(engine))[0]}
        assert cameras["cam-nmy-01"].status == "offline"
        assert cameras["cam-nmy-01"].status_since is not None
        assert cameras["cam-nmy-01"].status_since.tzinfo is not None

        recorder = IncidentEngine(engine, PUB)
        now = datetime.now(UTC)
        first = await recorder.record(Detection("fire", "camera", "cam-nmy-01", now, 0.7))
        second = await recorder.record(Detection("fire", "camera", "cam-nmy-01", now, 0.8))
        assert first.action == "opened" and second.incident_id == first.incident_id

        url, received = receiver
        settings = DeliverySettings.model_validate({"endpoint": url, "secret": SECRET})
        async with httpx.AsyncClient() as client:
            assert await OutboxPublisher(engine, settings, client).drain_once() == 1
        async with engine.connect() as conn:
            query = sa.select(outbox.c.delivered_at).where(outbox.c.destination == "yiwangguan")
            delivered = (await conn.execute(query)).scalar_one()
        assert delivered is not None and len(received.events) == 1
    finally:
        await engine.dispose()
