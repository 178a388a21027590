"""Simulated RTSP cameras, watched the way the ingest watches them: PyAV over RTSP/TCP."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import pytest

from simulator.clips import Scene, ensure_clip
from simulator.rtsp import RtspSimulator, rtsp_server_problem

pytestmark = pytest.mark.integration

FPS = 10
AV_OPTIONS = {"rtsp_transport": "tcp", "timeout": "5000000"}


@dataclass
class Watch:
    """What one client saw: frame sizes, pts in seconds, wall clock since it started opening."""

    sizes: set[tuple[int, int]] = field(default_factory=set)
    pts: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    error: str | None = None


def watch(url: str, frames: int) -> Watch:
    """Decode up to ``frames`` frames from ``url``; a dropped stream ends the watch early."""
    seen = Watch()
    start = time.monotonic()
    try:
        with av.open(url, options=AV_OPTIONS, timeout=(5, 5)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            assert time_base is not None
            for frame in container.decode(stream):
                seen.wall.append(time.monotonic() - start)
                seen.sizes.add((frame.width, frame.height))
                # FFmpeg's RTSP demuxer leaves the very first frame without a pts.
                if frame.pts is not None:
                    seen.pts.append(float(frame.pts * time_base))
                if len(seen.wall) >= frames:
                    break
    except (av.FFmpegError, OSError) as exc:
        seen.error = repr(exc)
    return seen


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("clips")
    return {
        "street": ensure_clip(Scene.STREET, directory, seconds=4, fps=FPS),
        "fire": ensure_clip(Scene.FIRE, directory, seconds=4, fps=FPS),
    }


@pytest.fixture
async def cameras(clips: dict[str, Path]) -> AsyncIterator[RtspSimulator]:
    reason = await asyncio.to_thread(rtsp_server_problem)
    if reason is not None:
        pytest.skip(f"SERVICE MISSING: GStreamer RTSP server: {reason}")
    async with RtspSimulator(clips, fps=FPS) as simulator:
        yield simulator


async def test_each_camera_plays_in_real_time_with_increasing_pts(
    cameras: RtspSimulator,
) -> None:
    street, fire = await asyncio.gather(
        asyncio.to_thread(watch, cameras.url("street"), 20),
        asyncio.to_thread(watch, cameras.url("fire"), 20),
    )
    assert cameras.mode == "rtsp"
    assert cameras.url("fire") == f"rtsp://127.0.0.1:{cameras.port}/fire"
    for seen in (street, fire):
        assert seen.error is None
        assert len(seen.wall) == 20
        assert seen.sizes == {(640, 360)}
        # 20 frames at 10 fps take ~2 s to arrive; a server that floods would take ~0 s.
        assert seen.wall[-1] >= 1.5
        assert all(b > a for a, b in zip(seen.pts, seen.pts[1:], strict=False))
        assert 1.5 <= seen.pts[-1] - seen.pts[0] <= 2.5


async def test_two_clients_on_one_camera_both_get_frames(cameras: RtspSimulator) -> None:
    first, second = await asyncio.gather(
        asyncio.to_thread(watch, cameras.url("fire"), 20),
        asyncio.to_thread(watch, cameras.url("fire"), 20),
    )
    for seen in (first, second):
        assert seen.error is None
        assert len(seen.wall) == 20
        assert seen.sizes == {(640, 360)}


async def test_restart_drops_clients_and_then_serves_new_connections(
    cameras: RtspSimulator,
) -> None:
    port = cameras.port
    old_client = asyncio.create_task(asyncio.to_thread(watch, cameras.url("street"), 10_000))
    await asyncio.sleep(4)  # let it get past opening and into the stream
    await cameras.restart(downtime=0.5)
    async with asyncio.timeout(15):
        dropped = await old_client
    assert 0 < len(dropped.wall) < 10_000  # it was watching, then the stream went away

    assert cameras.port == port
    seen = await asyncio.to_thread(watch, cameras.url("street"), 10)
    assert seen.error is None
    assert len(seen.wall) == 10


async def test_server_process_is_gone_after_the_block_even_when_cancelled(
    clips: dict[str, Path],
) -> None:
    reason = await asyncio.to_thread(rtsp_server_problem)
    if reason is not None:
        pytest.skip(f"SERVICE MISSING: GStreamer RTSP server: {reason}")
    started = asyncio.Event()
    pids: list[int] = []

    async def serve_forever() -> None:
        async with RtspSimulator(clips) as simulator:
            assert simulator.pid is not None
            pids.append(simulator.pid)
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(serve_forever())
    await asyncio.wait_for(started.wait(), 15)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not process_exists(pids[0])


async def test_a_server_that_cannot_listen_fails_with_its_stderr(
    cameras: RtspSimulator, clips: dict[str, Path]
) -> None:
    with pytest.raises(RuntimeError, match=r"exited with code 1 before READY.*cannot listen"):
        async with RtspSimulator(clips, port=cameras.port):
            pass


async def test_without_gstreamer_the_fallback_hands_out_clip_files(
    clips: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    no_python = Path("/nonexistent/python3")
    async with RtspSimulator(clips, fallback_to_files=True, python=no_python) as simulator:
        assert simulator.mode == "file"
        url = simulator.url("fire")
        assert url.endswith(".mp4") and Path(url).parent == clips["fire"].resolve().parent
        seen = await asyncio.to_thread(watch, url, 5)
    assert seen.error is None and len(seen.wall) == 5
    assert seen.pts == sorted(seen.pts) and seen.pts[-1] == pytest.approx(4 / FPS)
    assert "RTSP SIMULATOR DISABLED" in caplog.text
    assert "GStreamer RTSP server not installed" in caplog.text


async def test_without_gstreamer_and_no_fallback_it_refuses_loudly(
    clips: dict[str, Path],
) -> None:
    with pytest.raises(RuntimeError, match=r"GStreamer RTSP server not installed.*apt-get"):
        async with RtspSimulator(clips, python=Path("/nonexistent/python3")):
            pass
