"""The camera register over HTTP, on SQLite and PostgreSQL: CRUD, filters, health, places,
import and export, and never a credential in an answer or a log line."""

import csv
import io
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from camera_registry.camera_store import set_camera_status
from camera_registry.ledger_csv import write_rows
from camera_registry.ledger_generator import generate_ledger
from camera_registry.place_seed import read_places
from config.settings import SAMPLE_DIR

pytestmark = pytest.mark.integration
PLANTED = "Zz9-planted-PASSWORD"
NEW = {
    "gb_id": "52062600001320900101",
    "name": "人民路 18号 南向",
    "grid_id": "520626001001001",
    "site_type": "road",
    "lat": 28.256764,
    "lon": 108.124453,
    "coord_system": "gcj02",
    "rtsp_main": f"rtsp://admin:{PLANTED}@10.52.1.20:554/Streaming/Channels/101",
    "rtsp_sub": f"rtsp://admin:{PLANTED}@10.52.1.20:554/Streaming/Channels/102",
    "vendor": "海康威视",
    "installed_on": "2023-03-01",
}


@pytest.fixture
async def client(any_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(any_engine, "520626"))
    admin = {"Authorization": f"Bearer {await token_for(any_engine, 'test-admin', Role.admin)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tianwang", headers=admin
    ) as http:
        yield http


async def test_add_read_change_and_remove_a_camera(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/cameras", json=NEW)
    assert created.status_code == 201, created.text
    camera = created.json()
    assert camera["id"] == "cam-52062600001320900101"
    assert camera["rtsp_sub"] == "rtsp://10.52.1.20:554/Streaming/Channels/102"
    assert camera["has_credentials"] is True and camera["coord_system"] == "gcj02"
    assert camera["lat"] == pytest.approx(28.26, abs=2e-5) and camera["gcj02"][
        "lat"
    ] == pytest.approx(28.256764, abs=2e-6)
    assert (camera["street"], camera["community"], camera["grid_name"]) == (
        "青龙街道",
        "青龙社区",
        "第1网格",
    )

    changed = await client.patch(
        f"/api/v1/cameras/{camera['id']}", json={"name": "人民路 18号 北向", "enabled": False}
    )
    assert changed.status_code == 200 and changed.json()["name"] == "人民路 18号 北向"
    assert changed.json()["enabled"] is False and changed.json()["has_credentials"] is True

    assert (await client.post("/api/v1/cameras", json=NEW)).status_code == 409
    assert (await client.delete(f"/api/v1/cameras/{camera['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/cameras/{camera['id']}")).status_code == 404
    assert (await client.delete(f"/api/v1/cameras/{camera['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"gb_id": "52010200001320900101"}, 422),  # another county
        ({"gb_id": "5206260000132090010"}, 422),  # 19 digits
        ({"grid_id": "nowhere"}, 422),
        ({"lat": 95.0}, 422),
        ({"rtsp_sub": "ftp://x/y"}, 422),
        ({"unknown_field": 1}, 422),
    ],
)
async def test_bad_cameras_are_refused_with_the_reason(
    client: httpx.AsyncClient, change: dict[str, object], status: int
) -> None:
    answer = await client.post("/api/v1/cameras", json=NEW | change)
    assert answer.status_code == status
    assert answer.json()["detail"]


async def test_filters_and_pagination(client: httpx.AsyncClient) -> None:
    ledger = generate_ledger(200, read_places(SAMPLE_DIR / "dejiang_places.yaml"), seed=5)
    await client.post("/api/v1/cameras/import", content=write_rows(ledger).encode())
    everything = await client.get("/api/v1/cameras", params={"limit": 1000})
    assert int(everything.headers["X-Total-Count"]) == 204
    in_street = [r for r in ledger if r["street"] == "玉水街道"]
    by_street = await client.get("/api/v1/cameras", params={"street": "玉水街道", "limit": 1000})
    assert (
        int(by_street.headers["X-Total-Count"]) == len(in_street) + 2
    )  # + the demo's two 德江印象 cameras
    schools = await client.get("/api/v1/cameras", params={"site_type": "school", "limit": 1000})
    assert {c["site_type"] for c in schools.json()} == {"school"}
    assert len(schools.json()) == sum(r["site_type"] == "school" for r in ledger)
    page1 = (await client.get("/api/v1/cameras", params={"limit": 50, "offset": 0})).json()
    page2 = (await client.get("/api/v1/cameras", params={"limit": 50, "offset": 50})).json()
    assert len(page1) == len(page2) == 50 and not {c["id"] for c in page1} & {
        c["id"] for c in page2
    }
    grid = await client.get("/api/v1/cameras", params={"grid": "520626001001003"})
    assert "cam-nmy-01" in {c["id"] for c in grid.json()}
    assert (await client.get("/api/v1/cameras", params={"site_type": "volcano"})).status_code == 422


async def test_health_shows_the_status_history_newest_first(
    client: httpx.AsyncClient, any_engine: AsyncEngine
) -> None:
    await set_camera_status(any_engine, "cam-bgy-01", "online")
    await set_camera_status(any_engine, "cam-bgy-01", "online")  # no change, no entry
    await set_camera_status(any_engine, "cam-bgy-01", "offline", "refused")
    health = (await client.get("/api/v1/cameras/cam-bgy-01/health")).json()
    assert health["status"] == "offline" and health["status_reason"] == "refused"
    assert [(h["status"], h["reason"]) for h in health["history"]] == [
        ("offline", "refused"),
        ("online", None),
    ]
    offline = await client.get("/api/v1/cameras", params={"status": "offline"})
    assert [c["id"] for c in offline.json()] == ["cam-bgy-01"]


async def test_places_tree_has_the_county_structure(client: httpx.AsyncClient) -> None:
    tree = (await client.get("/api/v1/places")).json()
    communities = [c for s in tree for c in s["communities"]]
    grids = [g for c in communities for g in c["grids"]]
    assert (len(tree), len(communities), len(grids)) == (3, 14, 227)
    nmy = next(g for g in grids if g["code"] == "520626001001003")
    assert (
        nmy["cameras"] == 1
        and nmy["workers"]
        and {"楠木园", "楠木园 3栋"} <= {s["name"] for s in nmy["sites"]}
    )
    compounds = [s["name"] for g in grids for s in g["sites"] if s["site_type"] == "compound"]
    assert len(compounds) == 10 and {"楠木园", "碧桂园", "德江印象"} <= set(compounds)


async def test_import_and_export_over_http(client: httpx.AsyncClient) -> None:
    ledger = write_rows(
        [
            {**NEW, "street": "青龙街道", "community": "青龙社区", "grid": "第2网格"},
            {
                **NEW,
                "gb_id": "bad",
                "street": "青龙街道",
                "community": "青龙社区",
                "grid": "第2网格",
            },
        ]
    )
    dry = (
        await client.post(
            "/api/v1/cameras/import", params={"dry_run": True}, content=ledger.encode("gb18030")
        )
    ).json()
    assert (dry["imported"], dry["written"], [r["line"] for r in dry["rejected"]]) == (
        1,
        False,
        [3],
    )
    done = (await client.post("/api/v1/cameras/import", content=ledger.encode("gb18030"))).json()
    assert done["imported"] == 1 and done["written"] is True
    bad_header = await client.post("/api/v1/cameras/import", content=b"gb_id,name,colour\n1,2,3\n")
    assert (
        bad_header.status_code == 400
        and "unknown columns ['colour']" in bad_header.json()["detail"]
    )
    export = await client.get("/api/v1/cameras/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert NEW["gb_id"] in {r["gb_id"] for r in rows} and len(rows) == 5


async def test_no_answer_and_no_log_line_ever_shows_a_credential(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [await client.post("/api/v1/cameras", json=NEW)]
    camera_id = answers[0].json()["id"]
    answers.append(
        await client.patch(
            f"/api/v1/cameras/{camera_id}", json={"rtsp_main": f"rtsp://root:{PLANTED}@10.0.0.1/x"}
        )
    )
    bad_row = {
        **NEW,
        "gb_id": "52062600001320900102",
        "lat": "nan?",
        "street": "s",
        "community": "c",
        "grid": "g",
    }
    answers.append(
        await client.post("/api/v1/cameras/import", content=write_rows([bad_row]).encode())
    )
    for path in ("/api/v1/cameras", f"/api/v1/cameras/{camera_id}", f"/api/v1/cameras/{camera_id}/health",
                 "/api/v1/cameras/export.csv", "/api/v1/places", "/openapi.json"):  # fmt: skip
        answers.append(
            await client.get(path, params={"limit": 1000} if path == "/api/v1/cameras" else None)
        )
    assert all(a.status_code < 500 for a in answers)
    assert not [a.request.url for a in answers if PLANTED in a.text]
    assert PLANTED not in caplog.text


async def test_analytics_config_is_validated_and_stored(client: httpx.AsyncClient) -> None:
    analytics = {
        "zones": [
            {
                "name": "门口",
                "kind": "no_parking",
                "polygon": [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9]],
                "dwell_s": 60,
            }
        ],
        "lines": [{"name": "北向", "points": [[0.0, 0.5], [1.0, 0.5]]}],
    }
    created = await client.post("/api/v1/cameras", json=NEW | {"analytics": analytics})
    assert created.status_code == 201, created.text
    assert created.json()["analytics"]["zones"][0]["name"] == "门口"
    outside = {
        "zones": [{"name": "z", "kind": "mask", "polygon": [[0.1, 0.1], [1.5, 0.1], [0.5, 0.5]]}]
    }
    refused = await client.patch(
        f"/api/v1/cameras/{created.json()['id']}", json={"analytics": outside}
    )
    assert refused.status_code == 422 and "analytics.zones" in refused.json()["detail"]
