"""The camera ledger: import (UTF-8, GB18030, bad rows), export, round trip, on SQLite and
PostgreSQL alike."""

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_store import CameraFilter, list_cameras, open_url
from camera_registry.ledger_csv import COLUMNS, LedgerError, write_rows
from camera_registry.ledger_export import export_ledger
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import read_places
from camera_registry.schema import cameras
from config.settings import SAMPLE_DIR

pytestmark = pytest.mark.integration
COUNTY = "520626"
PLANTED = "Pl@nted-S3cret"


def ledger(count: int, seed: int = 3) -> list[dict[str, object]]:
    return generate_ledger(count, read_places(SAMPLE_DIR / "dejiang_places.yaml"), seed)


def row(**cells: object) -> dict[str, object]:
    base: dict[str, object] = {
        "gb_id": "52062600001320900001",
        "name": "滨江路 12号 东向",
        "street": "青龙街道",
        "community": "青龙社区",
        "grid": "第1网格",
        "site_type": "road",
        "lat": "28.26",
        "lon": "108.12",
        "coord_system": "wgs84",
        "rtsp_main": f"rtsp://admin:{PLANTED}@10.52.1.9:554/Streaming/Channels/101",
        "rtsp_sub": f"rtsp://admin:{PLANTED}@10.52.1.9:554/Streaming/Channels/102",
        "vendor": "海康威视",
        "model": "DS-2CD3T46WD-I3",
        "installed_on": "2021-05-01",
    }
    return base | cells


async def camera_count(engine: AsyncEngine) -> int:
    return (await list_cameras(engine, limit=1))[1]


async def test_generated_county_ledger_imports_whole_then_updates_in_place(
    any_engine: AsyncEngine,
) -> None:
    data = write_rows(ledger(1067)).encode()
    first = await import_ledger(any_engine, data, COUNTY)
    assert (first.imported, first.updated, first.rejected) == (1067, 0, [])
    assert await camera_count(any_engine) == 1067 + 4
    again = await import_ledger(any_engine, data, COUNTY)
    assert (again.imported, again.updated, again.rejected) == (0, 1067, [])
    assert await camera_count(any_engine) == 1067 + 4


async def test_gb18030_ledger_imports_good_rows_and_names_each_bad_line(
    any_engine: AsyncEngine,
) -> None:
    rows = [
        row(),  # line 2: good
        row(gb_id="5206260000132090000X"),  # 3: not 20 digits
        row(gb_id="52010200001320900003"),  # 4: another county
        row(gb_id="52062600001320900004", lat="128.5"),  # 5: latitude out of range
        row(gb_id="52062600001320900005", coord_system="mars"),  # 6: unknown datum
        row(gb_id="52062600001320900006", installed_on="去年"),  # 7: not a date
        row(gb_id="52062600001320900001", name="重复"),  # 8: gb_id repeated
        row(gb_id="52062600001110900008"),  # 9: type code 111 is not a camera
        row(gb_id="52062600001320900009", rtsp_sub="http://not-rtsp/x"),  # 10: not an RTSP URL
        row(gb_id="52062600001320900010", site_type="rooftop"),  # 11: unknown site type
        row(
            gb_id="52062600001320900011",
            name="玉水路 口",
            street="新街道",
            community="新社区",
            grid="第1网格",
        ),
    ]
    data = write_rows(rows).encode("gb18030")
    report = await import_ledger(any_engine, data, COUNTY)
    assert report.imported == 2 and report.updated == 0
    bad = {r.line: r for r in report.rejected}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "20 digits" in bad[3].error
    assert "not 520626" in bad[4].error
    assert bad[5].error.startswith("lat:")
    assert bad[6].error.startswith("coord_system:")
    assert bad[7].error.startswith("installed_on:")
    assert "first at line 2" in bad[8].error
    assert "not a camera" in bad[9].error
    assert bad[10].error.startswith("rtsp_sub:")
    assert bad[11].error.startswith("site_type:")
    assert report.created_places == 3 and {"新街道", "新社区", "第1网格"} <= set(report.created)
    assert all(PLANTED not in r.error for r in report.rejected)


async def test_utf8_with_bom_is_read(any_engine: AsyncEngine) -> None:
    data = "\ufeff".encode() + write_rows([row()]).encode()
    assert (await import_ledger(any_engine, data, COUNTY)).imported == 1


async def test_unknown_column_refuses_the_file_with_a_clear_message(
    any_engine: AsyncEngine,
) -> None:
    text = write_rows([row()]).replace("installed_on", "installed_on,owner", 1)
    with pytest.raises(LedgerError, match=r"unknown columns \['owner'\]"):
        await import_ledger(any_engine, text.encode(), COUNTY)


async def test_strict_import_with_a_bad_row_writes_nothing(any_engine: AsyncEngine) -> None:
    data = write_rows([row(), row(gb_id="52062600001320900002", lat="north")]).encode()
    report = await import_ledger(any_engine, data, COUNTY, strict=True)
    assert report.imported == 1 and len(report.rejected) == 1 and not report.written
    assert await camera_count(any_engine) == 4


async def test_dry_run_reports_and_writes_nothing(any_engine: AsyncEngine) -> None:
    report = await import_ledger(any_engine, write_rows(ledger(20)).encode(), COUNTY, dry_run=True)
    assert report.imported == 20 and not report.written
    assert await camera_count(any_engine) == 4


async def test_coordinates_are_stored_as_wgs84_whatever_the_ledger_gave(
    any_engine: AsyncEngine,
) -> None:
    wgs = (28.26, 108.12)
    rows = [
        row(gb_id="52062600001320900021", lat=wgs[0], lon=wgs[1], coord_system="wgs84"),
        row(gb_id="52062600001320900022", lat=28.256764, lon=108.124453, coord_system="gcj02"),
        row(gb_id="52062600001320900023", lat=28.263080, lon=108.130873, coord_system="bd09"),
    ]
    await import_ledger(any_engine, write_rows(rows).encode(), COUNTY)
    found = {
        c.gb_id: c
        for c in (await list_cameras(any_engine, CameraFilter(grid="520626001001001")))[0]
    }
    for gb_id in ("52062600001320900021", "52062600001320900022", "52062600001320900023"):
        assert found[gb_id].lat == pytest.approx(wgs[0], abs=2e-5)
        assert found[gb_id].lon == pytest.approx(wgs[1], abs=2e-5)
    assert found["52062600001320900023"].coord_system == "bd09"


async def test_credentials_are_kept_apart_and_the_stream_still_opens_with_them(
    any_engine: AsyncEngine,
) -> None:
    await import_ledger(any_engine, write_rows([row()]).encode(), COUNTY)
    async with any_engine.connect() as conn:
        stored = (
            await conn.execute(sa.select(cameras).where(cameras.c.gb_id == row()["gb_id"]))
        ).one()
    assert PLANTED not in stored.rtsp_sub and PLANTED not in stored.rtsp_main
    assert stored.rtsp_password == PLANTED
    url = await open_url(any_engine, stored.id)
    assert url.startswith("rtsp://admin:Pl%40nted-S3cret@10.52.1.9:554/")
    assert PLANTED not in await export_ledger(any_engine)


async def test_export_round_trips_and_neutralises_formulas(any_engine: AsyncEngine) -> None:
    rows = [row(name='=HYPERLINK("http://evil","click")'), *ledger(30, seed=9)]
    await import_ledger(any_engine, write_rows(rows).encode(), COUNTY)
    exported = await export_ledger(any_engine)
    cells = list(csv.DictReader(io.StringIO(exported)))
    assert tuple(cells[0]) == COLUMNS
    evil = next(c for c in cells if c["gb_id"] == row()["gb_id"])
    assert evil["name"].startswith("'=")
    # Importing the export changes nothing: every camera is found and updated to itself.
    again = await import_ledger(any_engine, exported.encode(), COUNTY)
    assert again.rejected == [] and again.imported == 0 and again.updated == len(cells)
    assert await export_ledger(any_engine) == exported
