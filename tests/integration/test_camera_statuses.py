"""Camera status changes written in batches: in order per camera, once each, with their
health incidents."""

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_store import get_camera, status_history
from config.settings import load_settings
from incidents.schema import incidents
from tianwang.camera_statuses import StatusChange
from tianwang.pipeline import Pipeline, Roles

pytestmark = pytest.mark.integration


async def health_incidents(engine: AsyncEngine) -> dict[tuple[str, str], list[str]]:
    """(camera, incident type) -> the statuses of its incidents."""
    query = sa.select(incidents.c.place_key, incidents.c.type, incidents.c.status).where(
        incidents.c.type.startswith("camera.")
    )
    found: dict[tuple[str, str], list[str]] = {}
    async with engine.connect() as conn:
        for place_key, kind, status in await conn.execute(query):
            found.setdefault((place_key.removeprefix("camera:"), kind), []).append(status)
    return found


async def test_a_batch_keeps_each_cameras_order_and_writes_each_change_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine)
    await pipeline.statuses.write(
        [
            StatusChange("cam-nmy-01", "offline", "refused"),
            StatusChange("cam-bgy-01", "offline", "timeout"),
            StatusChange("cam-djyx-01", "blurred", "sharpness 12% of its baseline"),
            StatusChange("cam-nmy-01", "online", None),  # the same camera again: after
            StatusChange("cam-bgy-01", "offline", "timeout"),  # said again: nothing new
            StatusChange("no-such-camera", "offline", "refused"),  # skipped, not fatal
        ]
    )
    assert [c.status for c in await status_history(engine, "cam-nmy-01")] == ["online", "offline"]
    assert [c.status for c in await status_history(engine, "cam-bgy-01")] == ["offline"]
    blurred = await get_camera(engine, "cam-djyx-01")
    assert (blurred.status, blurred.status_reason) == (
        "degraded",
        "blurred: sharpness 12% of its baseline",
    )
    assert await health_incidents(engine) == {
        ("cam-nmy-01", "camera.offline"): ["resolved"],
        ("cam-bgy-01", "camera.offline"): ["open"],
        ("cam-djyx-01", "camera.blurred"): ["open"],
    }


async def test_the_writer_task_takes_what_queued_up(engine: AsyncEngine, tmp_path: Path) -> None:
    # No sensors, no publisher: only the cameras' status writer is under test.
    roles = Roles(cameras="none", sensors=False, publisher="off")
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine, roles)
    cameras = ["cam-nmy-01", "cam-bgy-01", "cam-djyx-01", "cam-djyx-02"]
    for camera_id in cameras:
        pipeline.statuses.put(StatusChange(camera_id, "offline", "refused"))
    async with pipeline:
        for _ in range(100):
            if pipeline.statuses.queued == 0 and len(await health_incidents(engine)) == 4:
                break
            await asyncio.sleep(0.05)
    assert {camera_id for camera_id, _ in await health_incidents(engine)} == set(cameras)
    for camera_id in cameras:
        assert (await get_camera(engine, camera_id)).status == "offline"


async def test_cameras_coming_back_together_close_their_incidents_in_one_batch(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine)
    cameras = ["cam-nmy-01", "cam-bgy-01", "cam-djyx-01", "cam-djyx-02"]
    await pipeline.statuses.write([StatusChange(c, "offline", "refused") for c in cameras])
    await pipeline.statuses.write(
        [
            StatusChange("cam-nmy-01", "online", None),
            StatusChange("cam-bgy-01", "online", None),
            StatusChange("cam-djyx-01", "covered", "mean luminance 4"),  # back, but covered
        ]
    )
    assert await health_incidents(engine) == {
        ("cam-nmy-01", "camera.offline"): ["resolved"],
        ("cam-bgy-01", "camera.offline"): ["resolved"],
        ("cam-djyx-01", "camera.offline"): ["resolved"],
        ("cam-djyx-01", "camera.covered"): ["open"],
        ("cam-djyx-02", "camera.offline"): ["open"],  # not in the batch: still away
    }
    # Said again, and a covered camera that recovers: only its own incident is closed.
    await pipeline.statuses.write(
        [StatusChange("cam-nmy-01", "online", None), StatusChange("cam-djyx-01", "online", None)]
    )
    found = await health_incidents(engine)
    assert found[("cam-djyx-01", "camera.covered")] == ["resolved"]
    assert found[("cam-nmy-01", "camera.offline")] == ["resolved"]
    assert found[("cam-djyx-02", "camera.offline")] == ["open"]
