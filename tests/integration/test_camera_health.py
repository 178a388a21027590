"""Cameras report their own health as incidents: through a real RTSP stream, a camera
worker, and the pipeline's status handler into the incident engine and the register."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_store import get_camera, status_history
from config.settings import load_settings
from incidents.schema import incidents
from ingest.backoff import Backoff
from ingest.camera_health import HealthParams, PictureHealth
from ingest.camera_session import SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.metrics import STREAM_FAILURES
from ingest.snapshot_store import save_reference
from simulator.clips import Scene
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS
from tianwang.pipeline import Pipeline

pytestmark = pytest.mark.integration

POLICY = SessionPolicy(open_timeout_s=2, read_timeout_s=2)
# The session's 10 s clips: 4 s of street, then 6 s of fault, then the loop starts again.
PARAMS = HealthParams(frozen_s=2.5, hold_s=2, baseline_frames=3)
CAMERA = "cam-nmy-01"


async def health_incidents(engine: AsyncEngine, camera_id: str) -> list[Any]:
    query = sa.select(incidents.c.id, incidents.c.type, incidents.c.status).where(
        incidents.c.place_key == f"camera:{camera_id}"
    )
    async with engine.connect() as conn:
        return list((await conn.execute(query.order_by(incidents.c.opened_at))).all())


async def wait_until(check: Callable[[], Any], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    return await check()


def watch(pipeline: Pipeline, url: str, tmp_path: Path, **kwargs: Any) -> asyncio.Task[None]:
    worker = CameraWorker(
        CAMERA,
        url,
        [],
        lambda detection: None,
        POLICY,
        kwargs.pop("backoff", Backoff(0.2, 1.0)),
        tmp_path,
        on_status=pipeline.on_camera_status,
        health=PictureHealth(PARAMS),
        **kwargs,
    )
    return asyncio.create_task(worker.run())


@pytest.mark.parametrize(("scene", "kind"), [(Scene.FROZEN, "frozen"), (Scene.COVERED, "covered")])
async def test_a_picture_fault_raises_its_health_incident_and_recovery_resolves_it(
    rtsp_ready: None,
    engine: AsyncEngine,
    clips: dict[Scene, Path],
    tmp_path: Path,
    scene: Scene,
    kind: str,
) -> None:
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine)
    async with RtspSimulator({"cam": clips[scene]}, fps=CLIP_FPS) as rtsp:
        task = watch(pipeline, rtsp.url("cam"), tmp_path)
        try:

            async def raised() -> list[Any]:
                return [r for r in await health_incidents(engine, CAMERA) if r.status == "open"]

            opened = await wait_until(raised, 20)
            assert [r.type for r in opened] == [f"camera.{kind}"]
            assert (await get_camera(engine, CAMERA)).status == kind

            async def resolved() -> bool:
                rows = await health_incidents(engine, CAMERA)
                return bool(rows) and all(r.status == "resolved" for r in rows)

            # The clip loops back to the live street: the picture is normal again.
            assert await wait_until(resolved, 20)
            assert (await get_camera(engine, CAMERA)).status == "online"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    history = [change.status for change in await status_history(engine, CAMERA)]
    assert history[:3] == ["online", kind, "online"]


async def test_an_unreachable_camera_raises_one_offline_incident_while_backing_off_and_resolves_on_return(
    rtsp_ready: None, engine: AsyncEngine, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine)
    refused = STREAM_FAILURES.labels("refused")
    async with RtspSimulator({"cam": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        task = watch(pipeline, rtsp.url("cam"), tmp_path, backoff=Backoff(0.05, 0.4))
        try:

            async def online() -> bool:
                return (await get_camera(engine, CAMERA)).status == "online"

            assert await wait_until(online, 15)
            before = refused._value.get()
            outage = asyncio.create_task(rtsp.restart(downtime=6.0))

            async def offline_incidents() -> list[Any]:
                rows = await health_incidents(engine, CAMERA)
                return [r for r in rows if r.type == "camera.offline"]

            assert len(await wait_until(offline_incidents, 6)) == 1
            camera = await get_camera(engine, CAMERA)
            assert (camera.status, camera.status_reason) == ("offline", "refused")
            await outage  # the server is back
            retries = refused._value.get() - before
            assert retries >= 6, "kept backing off and retrying while away"
            assert len(await offline_incidents()) == 1, "one incident, however many retries"

            async def resolved() -> list[Any]:
                return [r for r in await offline_incidents() if r.status == "resolved"]

            assert len(await wait_until(resolved, 10)) == 1
            assert await online()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    rows = await health_incidents(engine, CAMERA)
    assert [r.type for r in rows] == ["camera.offline"]


async def test_a_camera_turned_away_from_its_stored_reference_view_raises_moved(
    rtsp_ready: None, engine: AsyncEngine, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    """The reference kept from an earlier run (on disk beside the snapshots) is what the view
    is matched against: a picture shifted by a tenth of its width is a moved camera."""
    container = av.open(str(clips[Scene.STREET]))
    first = next(container.decode(video=0)).to_ndarray(format="bgr24")
    container.close()
    save_reference(tmp_path, CAMERA, np.roll(first, 64, axis=1)[:, :, 1])
    pipeline = Pipeline(load_settings(data_dir=str(tmp_path)), engine)
    health = PictureHealth(HealthParams(hold_s=1, baseline_frames=2, moved_every_s=0.5))
    async with RtspSimulator({"cam": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        worker = CameraWorker(
            CAMERA,
            rtsp.url("cam"),
            [],
            lambda detection: None,
            POLICY,
            Backoff(0.2, 1.0),
            tmp_path,
            on_status=pipeline.on_camera_status,
            health=health,
        )
        task = asyncio.create_task(worker.run())
        try:

            async def moved() -> list[Any]:
                rows = await health_incidents(engine, CAMERA)
                return [r for r in rows if r.type == "camera.moved"]

            assert len(await wait_until(moved, 25)) == 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
