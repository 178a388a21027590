"""/api/v1/sensors on SQLite and PostgreSQL: add, read, change, import a ledger CSV, and the
cameras that cover each sensor's building."""

from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from camera_registry.schema import camera_coverage

pytestmark = pytest.mark.integration
NEW = {
    "id": "smk-bgy-7-502",
    "kind": "smoke",
    "grid_id": "520626001002007",
    "site_id": "bgy",
    "building": "碧桂园 7栋",
    "heartbeat_s": 600,
    "thresholds": {"battery_low_pct": 20},
}


@pytest.fixture
async def client(any_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with any_engine.begin() as conn:
        await conn.execute(sa.insert(camera_coverage).values(camera_id="cam-bgy-01", site_id="bgy"))
    transport = httpx.ASGITransport(app=create_app(any_engine, "520626"))
    admin = {"Authorization": f"Bearer {await token_for(any_engine, 'test-admin', Role.admin)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tianwang", headers=admin
    ) as http:
        yield http


async def test_add_read_and_change_a_sensor_with_its_covering_cameras(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/v1/sensors", json=NEW)
    assert created.status_code == 201, created.text
    assert created.json()["cameras"] == ["cam-bgy-01"]
    assert (await client.post("/api/v1/sensors", json=NEW)).status_code == 409
    changed = await client.patch(
        f"/api/v1/sensors/{NEW['id']}", json={"building": "碧桂园 7栋 5楼"}
    )
    assert changed.status_code == 200 and changed.json()["heartbeat_s"] == 600
    one = (await client.get(f"/api/v1/sensors/{NEW['id']}")).json()
    assert (one["building"], one["thresholds"]) == ("碧桂园 7栋 5楼", {"battery_low_pct": 20})
    listed = await client.get("/api/v1/sensors", params={"grid": "520626001002007"})
    assert NEW["id"] in [s["id"] for s in listed.json()] and listed.headers["X-Total-Count"]
    assert (await client.get("/api/v1/sensors/nope")).status_code == 404


@pytest.mark.parametrize(
    ("change", "status"),
    [({"grid_id": "nowhere"}, 422), ({"thresholds": {"fire_c": 1}}, 422), ({"extra": 1}, 422)],
)
async def test_bad_sensor_changes_are_refused(
    client: httpx.AsyncClient, change: dict[str, object], status: int
) -> None:
    assert (await client.post("/api/v1/sensors", json=NEW)).status_code == 201
    assert (await client.patch(f"/api/v1/sensors/{NEW['id']}", json=change)).status_code == status


async def test_sensor_ledger_import_upserts_good_rows_and_names_bad_ones(
    client: httpx.AsyncClient,
) -> None:
    ledger = (
        "id,kind,street,community,grid,site,building,heartbeat_s\r\n"
        "smk-csv-1,smoke,青龙街道,长堰社区,520626001002007,bgy,碧桂园 1栋,900\r\n"
        "bin-csv-1,bin,青龙街道,长堰社区,520626001002007,,南门,\r\n"
        "bad-1,smoke,青龙街道,长堰社区,520626001002007,no-such-site,,\r\n"
        "smk-bgy-5-301,smoke,青龙街道,长堰社区,520626001002007,bgy-5,碧桂园 5栋,300\r\n"
    ).encode("gb18030")
    answer = await client.post("/api/v1/sensors/import", content=ledger)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["imported"], report["updated"], report["written"]) == (2, 1, True)
    assert [r["id"] for r in report["rejected"]] == ["bad-1"]
    assert (await client.get("/api/v1/sensors/smk-csv-1")).json()["cameras"] == ["cam-bgy-01"]
    assert (await client.get("/api/v1/sensors/smk-bgy-5-301")).json()["heartbeat_s"] == 300
