"""The HTTP API: health, the camera register without credentials, the incident queue."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from camera_registry.camera_store import set_stream_url
from detectors.model import Detection
from incidents.engine import IncidentEngine
from tests.conftest import PUB

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(engine, "520626"))
    admin = {"Authorization": f"Bearer {await token_for(engine, 'test-admin', Role.admin)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tianwang", headers=admin
    ) as http:
        yield http


async def test_healthz_says_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


async def test_cameras_are_listed_without_credentials(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await set_stream_url(engine, "cam-nmy-01", "rtsp://admin:Secr3t%40x@10.20.30.40:554/sub")
    cameras = {c["id"]: c for c in (await client.get("/api/v1/cameras")).json()}
    assert len(cameras) == 4
    camera = cameras["cam-nmy-01"]
    assert camera["rtsp_sub"] == "rtsp://10.20.30.40:554/sub"
    assert camera["has_credentials"] is True
    assert camera["gb_id"] == "52062600001320800001"
    assert "Secr3t" not in str(cameras) and "admin" not in str(cameras)
    assert "rtsp_password" not in camera and "rtsp_username" not in camera


async def test_incidents_are_listed_newest_first_and_filtered_by_status(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    recorder = IncidentEngine(engine, PUB)
    await recorder.record(
        Detection("fire", "camera", "cam-nmy-01", datetime(2026, 1, 1, tzinfo=UTC), 0.7)
    )
    await recorder.record(
        Detection("fire", "camera", "cam-bgy-01", datetime(2026, 1, 2, tzinfo=UTC), 0.9)
    )
    listed = (await client.get("/api/v1/incidents")).json()
    assert [i["source_id"] for i in listed] == ["cam-bgy-01", "cam-nmy-01"]
    assert listed[0]["grid_id"] == "520626001002007" and listed[0]["delivered_at"] is None
    assert (await client.get("/api/v1/incidents", params={"status": "resolved"})).json() == []
    assert len((await client.get("/api/v1/incidents", params={"limit": 1})).json()) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 100000},
        {"offset": -1},
        {"status": "burning"},
        {"limit": "1; DROP TABLE incidents"},
    ],
)
async def test_hostile_query_parameters_get_a_422_not_a_crash(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    answer = await client.get("/api/v1/incidents", params=params)
    assert answer.status_code == 422
    assert (await client.get("/api/v1/incidents")).status_code == 200


async def test_openapi_and_metrics_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"/healthz", "/api/v1/cameras", "/api/v1/incidents"} <= set(spec["paths"])
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "# TYPE tianwang_delivery_failures_total counter" in metrics.text
