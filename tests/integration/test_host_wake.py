"""After an RTSP server outage, the cameras behind it come back together: the first to
connect wakes the others from their back-off."""

import asyncio
import random
import time
from pathlib import Path

import pytest

from ingest.backoff import Backoff
from ingest.camera_session import SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.host_wake import HostWake
from ingest.metrics import PACKETS
from simulator.clips import Scene
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS

pytestmark = pytest.mark.integration


class Longest(random.Random):
    """Full jitter that always draws its upper bound: a back-off of exactly the cap."""

    def uniform(self, a: float, b: float) -> float:
        return b


def packets(camera_id: str) -> float:
    """Video packets this camera's sessions have read (counted at each key frame)."""
    return float(PACKETS.labels(camera_id)._value.get())


async def flowing(names: list[str], since: dict[str, float], timeout_s: float) -> None:
    """Until every camera of ``names`` has read packets beyond ``since``."""
    async with asyncio.timeout(timeout_s):
        while any(packets(name) <= since.get(name, 0.0) for name in names):
            await asyncio.sleep(0.1)


async def test_cameras_waiting_out_a_long_backoff_retry_when_one_of_their_server_connects(
    rtsp_ready: None, clips: dict[Scene, Path], tmp_path: Path
) -> None:
    wake = HostWake(spread_s=0.5)
    policy = SessionPolicy(open_timeout_s=2, read_timeout_s=2)
    backoffs = {
        "quick": Backoff(0.2, 0.5),
        "patient-1": Backoff(30.0, 30.0, rng=Longest()),
        "patient-2": Backoff(30.0, 30.0, rng=Longest()),
    }
    async with RtspSimulator(
        {name: clips[Scene.STREET] for name in backoffs}, fps=CLIP_FPS
    ) as rtsp:
        workers = [
            CameraWorker(
                name, rtsp.url(name), [], lambda d: None, policy, backoff, tmp_path, wake=wake
            )
            for name, backoff in backoffs.items()
        ]
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        try:
            await flowing(list(backoffs), {}, 30)
            await rtsp.restart(downtime=3.0)
            back_at = time.monotonic()
            await asyncio.sleep(1.0)  # what was buffered before the outage is counted
            await flowing(list(backoffs), {name: packets(name) for name in backoffs}, 40)
            waited = time.monotonic() - back_at
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    # Without the wake the patient two would wait their 30 s back-off.
    assert waited < 15, f"all three back {waited:.1f} s after the server"
