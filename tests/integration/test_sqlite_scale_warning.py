"""serve on SQLite with a county's worth of cameras says, at start-up, that PostgreSQL is the
database for that (its one writer made the camera workers wait in `bench county`)."""

import logging
from pathlib import Path

import pytest

from camera_registry.database import open_engine
from tianwang.bench_scale import fleet_registry
from tianwang.migrate import upgrade
from tianwang.service import SQLITE_CAMERAS, _warn_if_county_scale

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("count, warned", [(SQLITE_CAMERAS, False), (SQLITE_CAMERAS + 1, True)])
async def test_a_county_on_sqlite_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, count: int, warned: bool
) -> None:
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'county.db'}")
    try:
        await upgrade(engine)
        await fleet_registry(engine, count, lambda i: f"rtsp://127.0.0.1:9/c{i}")
        with caplog.at_level(logging.WARNING, logger="tianwang.service"):
            await _warn_if_county_scale(engine)
    finally:
        await engine.dispose()
    assert ("use PostgreSQL" in caplog.text) is warned
