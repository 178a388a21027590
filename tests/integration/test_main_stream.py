"""A camera incident gets a picture from the camera's main stream as well as the
sub-stream's; a main stream that gives none costs only a log line."""

import asyncio
import time
from pathlib import Path

import cv2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_store import set_stream_url
from camera_registry.schema import cameras
from config.settings import load_settings
from incidents.schema import incidents
from ingest.main_stream import MainStreamGrabber
from simulator.clips import Scene, ensure_clip
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS, free_port
from tianwang.pipeline import Pipeline, Roles

pytestmark = pytest.mark.integration

CAMERA = "cam-nmy-01"


async def fire_snapshots(engine: AsyncEngine) -> list[dict[str, str]]:
    query = sa.select(incidents.c.evidence).where(
        incidents.c.place_key == f"camera:{CAMERA}", incidents.c.type == "fire"
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return list(row.evidence.get("snapshots", [])) if row else []


async def test_a_fire_incident_gets_the_main_streams_picture_too(
    rtsp_ready: None,
    clips: dict[Scene, Path],
    engine: AsyncEngine,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    main_clip = ensure_clip(
        Scene.FIRE, tmp_path_factory.mktemp("main"), fps=CLIP_FPS, size=(1280, 720), seed=7
    )
    settings = load_settings(data_dir=tmp_path)
    streams = {"sub": clips[Scene.FIRE], "main": main_clip}
    async with RtspSimulator(streams, fps=CLIP_FPS) as rtsp:
        await set_stream_url(engine, CAMERA, rtsp.url("sub"))
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(cameras).where(cameras.c.id == CAMERA).values(rtsp_main=rtsp.url("main"))
            )
        async with Pipeline(settings, engine, Roles(sensors=False, publisher="off")):
            async with asyncio.timeout(60):
                while not any(
                    s["url"].endswith("-fire-main.jpg") for s in await fire_snapshots(engine)
                ):
                    await asyncio.sleep(0.2)
    pictures = {
        path.name: cv2.imread(str(path)).shape[:2]
        for path in (tmp_path / "snapshots" / CAMERA).glob("*fire*.jpg")
    }
    main = [name for name in pictures if name.endswith("-fire-main.jpg")]
    assert main, f"no main-stream picture among {sorted(pictures)}"
    assert pictures[main[0]] == (720, 1280)
    assert any(shape == (360, 640) for shape in pictures.values()), "the sub-stream's picture"


async def test_a_main_stream_that_refuses_gives_none_and_waits_its_cooldown() -> None:
    grabber = MainStreamGrabber(
        CAMERA,
        f"rtsp://127.0.0.1:{free_port()}/main",
        asyncio.Semaphore(1),
        cooldown_s=60,
        open_timeout_s=2,
        read_timeout_s=2,
    )
    assert grabber.due()
    started = time.monotonic()
    assert await grabber.grab() is None
    assert time.monotonic() - started < 10
    assert not grabber.due(), "one try per cooldown"
