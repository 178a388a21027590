"""Patrol and focus on real H.264: how much patrol decodes, the focus budget, and the stall
watchdog on a stream that stays open with no video."""

import asyncio
import os
import threading
from pathlib import Path

from detectors.frame_api import SCREEN_HIT, Frame
from detectors.model import Detection, Finding
from ingest.backoff import Backoff
from ingest.camera_session import CameraSession, SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.focus_budget import FocusBudget
from simulator.clips import Scene

FLAT_OUT = SessionPolicy(pace_files=False, focus_fps=5, focus_s=5)


class AlwaysHits:
    """A screen that always asks for focus and a confirm that never finds (budget tests)."""

    continuous = False

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def screen(self, frame: Frame, t: float) -> float:
        return SCREEN_HIT

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        return None

    def reset(self) -> None:
        pass


def decoded(clip: Path, policy: SessionPolicy, **kwargs: object) -> CameraSession:
    session = CameraSession(
        "cam-policy", str(clip), [], policy, lambda f, i: None, threading.Event(), **kwargs
    )  # type: ignore[arg-type]
    assert session.run() == "eof"
    return session


def test_patrol_decodes_key_frames_only_and_a_patrol_interval_decodes_fewer(
    clips: dict[Scene, Path],
) -> None:
    clip = clips[Scene.STREET]  # 10 s, 10 fps, a key frame every 10 frames
    every = decoded(clip, FLAT_OUT)
    assert every.frames == 100 and every.frames_decoded == 10
    sparse = decoded(clip, SessionPolicy(pace_files=False, patrol_every_s=3.0))
    # A raw H.264 file has no clock: the stream's rate, as the demuxer guesses it, is its time.
    key_times = [(n * 10 + 1) / sparse.rate for n in range(10)]
    expected, last = 0, -1e9
    for t in key_times:
        if t - last >= 3.0 - 1e-6:
            expected, last = expected + 1, t
    assert sparse.frames == 100 and sparse.frames_decoded == expected < 10


def test_a_screen_hit_waits_in_patrol_while_a_higher_priority_camera_holds_the_budget(
    clips: dict[Scene, Path],
) -> None:
    budget = FocusBudget(1)
    assert budget.claim("cam-fire", 3)

    def smoke_camera() -> CameraSession:
        session = CameraSession(
            "cam-smoke",
            str(clips[Scene.STREET]),
            [AlwaysHits("smoke")],
            FLAT_OUT,
            lambda f, i: None,
            threading.Event(),
            budget=budget,
        )
        session.run()
        return session

    assert smoke_camera().frames_decoded == 10  # never left patrol
    budget.release("cam-fire")
    assert smoke_camera().frames_decoded > 50  # a free place: focus, every frame decoded
    assert budget.held == 0  # the place is given back when the stream ends


async def test_a_stream_that_stays_open_without_video_is_reopened_as_stalled(
    clips: dict[Scene, Path], tmp_path: Path
) -> None:
    fifo = tmp_path / "camera.h264"
    os.mkfifo(fifo)
    release = threading.Event()

    def camera() -> None:  # sends its whole clip, then keeps the pipe open, silent
        with fifo.open("wb") as pipe:
            pipe.write(clips[Scene.STREET].read_bytes())
            pipe.flush()
            release.wait(60)

    sender = threading.Thread(target=camera, daemon=True)
    sender.start()
    found: list[Detection] = []
    policy = SessionPolicy(pace_files=False, stall_s=2.0, read_timeout_s=1.0)
    worker = CameraWorker(
        "cam-stall", str(fifo), [], found.append, policy, Backoff(30, 30), tmp_path
    )
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(30):
            while worker.last_failure is None:
                await asyncio.sleep(0.1)
        assert worker.last_failure.reason == "stalled"
        assert "no video packet" in worker.last_failure.detail
    finally:
        release.set()  # the camera hangs up: the blocked read returns
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        sender.join(10)


class HitsOnce:
    """A screen that asks for focus at the first key frame, and a confirm that never finds
    but may keep ``watching`` (a plume still growing)."""

    continuous = False
    kind = "smoke"

    def __init__(self, watching: bool) -> None:
        self.watching = watching
        self._asked = False

    def screen(self, frame: Frame, t: float) -> float:
        asked, self._asked = self._asked, True
        return 0.0 if asked else SCREEN_HIT

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        return None

    def reset(self) -> None:
        pass


def test_focus_holds_while_a_detector_is_watching_up_to_its_cap(clips: dict[Scene, Path]) -> None:
    clip = clips[Scene.STREET]  # 10 s, 10 fps, a key frame every 10 frames

    def run(policy: SessionPolicy, watching: bool) -> int:
        session = CameraSession(
            "cam-hold",
            str(clip),
            [HitsOnce(watching)],
            policy,
            lambda f, i: None,
            threading.Event(),
        )
        assert session.run() == "eof"
        return session.frames_decoded

    # A raw H.264 file has no clock: read at the guessed 25 fps, the clip is 4 s of stream.
    one_s = SessionPolicy(pace_files=False, focus_fps=5, focus_s=1)
    plain, held = run(one_s, False), run(one_s, True)
    # Focus from the first key frame for 1 s (ending at a key frame), then key frames only;
    # watching holds it for up to HOLD_FOCUS (3) times as long: 3 s of the clip's 4.
    assert 25 <= plain <= 45
    assert 75 <= held <= 90
    assert run(SessionPolicy(pace_files=False, focus_fps=5, focus_s=2), True) == 100
