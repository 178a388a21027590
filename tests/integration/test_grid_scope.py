"""A grid worker (网格员) sees their own grids only: incidents, cameras, snapshots, the map,
the live view — through HTTP, each route checked with a camera of their grid and another's."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import add_user, issue_token, token_for
from detectors.model import Detection
from incidents.engine import IncidentEngine
from tests.conftest import PUB

pytestmark = pytest.mark.integration

GRID_BGY = "520626001002007"  # cam-bgy-01's grid: the worker's own
GRID_NMY = "520626001001003"  # cam-nmy-01's grid: someone else's


@pytest.fixture
async def scoped(
    engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], dict[str, str]]]:
    """(client, the worker's headers, an operator's headers), with a fire in each grid."""
    snapshots = tmp_path / "snapshots"
    recorder = IncidentEngine(engine, PUB, snapshot_url=lambda p: f"/api/v1/snapshots/{p}")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for camera in ("cam-bgy-01", "cam-nmy-01"):
        (snapshots / camera).mkdir(parents=True)
        shot = snapshots / camera / "20260101T000000000000-fire.jpg"
        shot.write_bytes(b"\xff\xd8\xff\xe0 a jpeg of " + camera.encode())
        opened = await recorder.record(
            Detection("fire", "camera", camera, at, 0.9, snapshot=f"{camera}/{shot.name}")
        )
        assert opened is not None
    await add_user(engine, "gw-bgy", Role.grid_worker, grids=[GRID_BGY])
    worker = {"Authorization": f"Bearer {await issue_token(engine, 'gw-bgy')}"}
    operator = {"Authorization": f"Bearer {await token_for(engine, 'op1', Role.operator)}"}
    app = create_app(engine, snapshot_dir=snapshots)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://tianwang"
    ) as http:
        yield http, worker, operator


async def test_a_grid_worker_lists_only_their_grids_cameras(
    scoped: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
) -> None:
    http, worker, operator = scoped
    listed = await http.get("/api/v1/cameras", headers=worker)
    assert [c["id"] for c in listed.json()] == ["cam-bgy-01"]
    assert listed.headers["X-Total-Count"] == "1"
    other = await http.get("/api/v1/cameras", params={"grid": GRID_NMY}, headers=worker)
    assert other.json() == [] and other.headers["X-Total-Count"] == "0"
    everyone = await http.get("/api/v1/cameras", headers=operator)
    assert len(everyone.json()) == 4


async def test_another_grids_camera_does_not_exist_for_a_grid_worker(
    scoped: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
) -> None:
    http, worker, operator = scoped
    for path in ("/api/v1/cameras/{}", "/api/v1/cameras/{}/health"):
        assert (await http.get(path.format("cam-bgy-01"), headers=worker)).status_code == 200
        assert (await http.get(path.format("cam-nmy-01"), headers=worker)).status_code == 404
        assert (await http.get(path.format("cam-nmy-01"), headers=operator)).status_code == 200
    assert (await http.get("/api/v1/cameras/export.csv", headers=worker)).status_code == 403


async def test_a_grid_worker_gets_only_their_grids_snapshots(
    scoped: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
) -> None:
    http, worker, operator = scoped
    incidents = (await http.get("/api/v1/incidents", headers=worker)).json()
    assert [i["grid_id"] for i in incidents] == [GRID_BGY]
    own = incidents[0]["evidence"]["snapshots"][0]["url"]
    assert (await http.get(own, headers=worker)).content.endswith(b"cam-bgy-01")
    other = "/api/v1/snapshots/cam-nmy-01/20260101T000000000000-fire.jpg"
    assert (await http.get(other, headers=worker)).status_code == 404
    sneaky = "/api/v1/snapshots/cam-bgy-01/../cam-nmy-01/20260101T000000000000-fire.jpg"
    assert (await http.get(sneaky, headers=worker)).status_code == 404
    assert (await http.get(other, headers=operator)).content.endswith(b"cam-nmy-01")


async def test_a_grid_workers_map_holds_their_grids_only(
    scoped: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
) -> None:
    http, worker, operator = scoped
    mine = (await http.get("/api/v1/map", headers=worker)).json()
    assert [g["id"] for g in mine["grids"]] == [GRID_BGY]
    assert [c["id"] for c in mine["cameras"]] == ["cam-bgy-01"]
    assert [i["grid_id"] for i in mine["incidents"]] == [GRID_BGY]
    everything = (await http.get("/api/v1/map", headers=operator)).json()
    assert {GRID_BGY, GRID_NMY} <= {g["id"] for g in everything["grids"]}
    other = next(i["id"] for i in everything["incidents"] if i["grid_id"] == GRID_NMY)
    assert (
        await http.get("/api/v1/map", params={"incident": other}, headers=worker)
    ).status_code == 404


async def test_map_areas_hold_their_points_and_incidents_sit_at_their_camera(
    scoped: tuple[httpx.AsyncClient, dict[str, str], dict[str, str]],
) -> None:
    from api.grid_outlines import contains

    http, _, operator = scoped
    data = (await http.get("/api/v1/map", headers=operator)).json()
    areas = {g["id"]: [tuple(p) for p in g["outline"]] for g in data["grids"]}
    for camera in data["cameras"]:
        assert contains(areas[camera["grid_id"]], (camera["lat"], camera["lon"])), camera["id"]
    bgy = next(i for i in data["incidents"] if i["grid_id"] == GRID_BGY)
    assert (bgy["lat"], bgy["lon"]) == (28.2588, 108.1245)  # cam-bgy-01's point
