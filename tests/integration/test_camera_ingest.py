"""Camera workers against real streams: the RTSP simulator, and URLs that lead nowhere."""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from detectors.fire import FireDetector
from detectors.frame_api import FrameDetector
from detectors.model import Detection
from ingest.backoff import Backoff
from ingest.camera_session import SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.metrics import FRAMES_DECODED, STREAM_CONNECTS, STREAM_FAILURES
from simulator.clips import Scene
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS, free_port

pytestmark = pytest.mark.integration

POLICY = SessionPolicy(open_timeout_s=3, read_timeout_s=3, focus_fps=5, focus_s=5)


class Watched:
    """A camera worker running as a task, with what it reported."""

    def __init__(
        self, camera_id: str, url: str, detectors: list[FrameDetector], snapshots: Path
    ) -> None:
        self.detections: list[Detection] = []
        self.statuses: list[tuple[str, str | None]] = []
        self.worker = CameraWorker(
            camera_id,
            url,
            detectors,
            self.detections.append,
            POLICY,
            Backoff(0.05, 0.2),
            snapshots,
            on_status=self._status,
        )
        self.task = asyncio.create_task(self.worker.run())

    async def _status(self, camera_id: str, status: str, reason: str | None) -> None:
        self.statuses.append((status, reason))

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def test_broken_rtsp_url_is_logged_counted_and_retried_without_crashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refused = STREAM_FAILURES.labels("refused")
    before = refused._value.get()
    cam = Watched(
        "cam-broken", f"rtsp://admin:pw@127.0.0.1:{free_port()}/none", [FireDetector()], tmp_path
    )
    try:
        assert await wait_for(lambda: refused._value.get() >= before + 3, 20)
        assert not cam.task.done()
        assert ("offline", "refused") in cam.statuses
    finally:
        await cam.stop()
    assert "camera cam-broken: stream failed, reason=refused" in caplog.text
    assert "pw@" not in caplog.text


async def test_url_with_no_such_protocol_is_an_error_not_a_crash(tmp_path: Path) -> None:
    cam = Watched("cam-garbage", "nosuchproto://what/ever", [], tmp_path)
    try:
        assert await wait_for(lambda: cam.worker.last_failure is not None, 10)
        assert not cam.task.done()
    finally:
        await cam.stop()


async def test_fire_camera_is_confirmed_over_rtsp_and_a_street_camera_is_not(
    rtsp_ready: None, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    streams = {
        "fire": clips[Scene.FIRE],
        "street": clips[Scene.STREET],
        "night": clips[Scene.NIGHT],
    }
    async with RtspSimulator(streams, fps=CLIP_FPS) as rtsp:
        cams = {name: Watched(name, rtsp.url(name), [FireDetector()], tmp_path) for name in streams}
        try:
            assert await wait_for(lambda: bool(cams["fire"].detections), 40), "no fire confirmed"
            await asyncio.sleep(8)  # give the other cameras as long again to be wrong
        finally:
            for cam in cams.values():
                await cam.stop()
    fire = cams["fire"].detections[0]
    assert (fire.kind, fire.source_kind, fire.source_id) == ("fire", "camera", "fire")
    assert fire.snapshot is not None and cv2.imread(fire.snapshot) is not None
    assert cams["street"].detections == [] and cams["night"].detections == []
    assert all(cam.statuses[0] == ("online", None) for cam in cams.values())


async def test_patrol_decodes_only_key_frames(
    rtsp_ready: None, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    decoded = FRAMES_DECODED.labels("patrol-only")
    async with RtspSimulator({"street": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        cam = Watched("patrol-only", rtsp.url("street"), [], tmp_path)
        try:
            assert await wait_for(lambda: decoded._value.get() >= 1, 15)
            start, t0 = decoded._value.get(), time.monotonic()
            await asyncio.sleep(4)
            frames = decoded._value.get() - start
            seconds = time.monotonic() - t0
        finally:
            await cam.stop()
    # GOP 10 at 10 fps: one key frame a second, against ten frames a second in all.
    assert 1 <= frames <= seconds * CLIP_FPS / 10 + 2


async def test_worker_reconnects_after_the_stream_drops(
    rtsp_ready: None, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    async with RtspSimulator({"street": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        connects = STREAM_CONNECTS._value.get()
        cam = Watched("cam-drop", rtsp.url("street"), [], tmp_path)
        try:
            assert await wait_for(lambda: STREAM_CONNECTS._value.get() >= connects + 1, 20)
            await rtsp.restart(downtime=1.0)
            assert await wait_for(lambda: STREAM_CONNECTS._value.get() >= connects + 2, 30)
            assert not cam.task.done()
        finally:
            await cam.stop()


async def test_without_an_rtsp_server_the_same_worker_reads_clip_files(
    clips: dict[Scene, Path], tmp_path: Path
) -> None:
    async with RtspSimulator(
        {"fire": clips[Scene.FIRE]},
        fps=CLIP_FPS,
        fallback_to_files=True,
        python=Path("/nonexistent/python3"),
    ) as files:
        assert files.mode == "file"
        cam = Watched("cam-file", files.url("fire"), [FireDetector()], tmp_path)
        try:
            assert await wait_for(lambda: bool(cam.detections), 40)
        finally:
            await cam.stop()


async def test_a_focus_request_makes_the_camera_decode_every_frame(
    rtsp_ready: None, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    decoded = FRAMES_DECODED.labels("asked-focus")
    async with RtspSimulator({"street": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        cam = Watched("asked-focus", rtsp.url("street"), [], tmp_path)
        try:
            assert await wait_for(lambda: decoded._value.get() >= 1, 15)
            cam.worker.request_focus(6)  # as a smoke alarm in the building it watches would
            await asyncio.sleep(1.5)  # the switch waits for the next key frame
            start, t0 = decoded._value.get(), time.monotonic()
            await asyncio.sleep(3)
            frames = decoded._value.get() - start
            seconds = time.monotonic() - t0
        finally:
            await cam.stop()
    assert frames >= 0.7 * seconds * CLIP_FPS  # every frame, not one a second
