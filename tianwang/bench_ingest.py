"""`tianwang bench ingest`: CPU per camera of tianwang's patrol against the ways peers read
streams, on the same simulated RTSP cameras (640x360 H.264, 25 fps, a key frame every 50).

Each way runs in a client process of its own, in turn, against the same server:

* ``patrol``: tianwang's camera workers (PyAV, key frames only, the default detectors'
  screens and the picture health checks), one asyncio loop, a thread per session;
* ``keyframes``: the same workers with no detectors, only the health checks: what ingest
  itself costs, without the focus that the detectors' screen hits ask for;
* ``floor``: the same streams received and demuxed with PyAV, nothing decoded;
* ``frigate``: Frigate style, one ffmpeg subprocess per camera decoding every frame and
  handing raw frames at 5 fps through a pipe;
* ``opencv``: a ``cv2.VideoCapture`` thread per camera reading every frame.

CPU is utime + stime from ``/proc`` of the client process and its children (ffmpeg), over a
measuring window that starts once every stream runs; the RTSP server's CPU over the same
window is reported apart and charged to no one. The server runs on cores of its own and the
clients on the rest (on a machine of two: one each), as cameras are devices of their own:
sharing a core with the server made every way pay for the server's wake-ups (session 5,
150 cameras over both cores: patrol 6.69 ms per camera-second; with the server on its own
core, 2.96). A way that cannot keep up with its streams on the clients' cores is charged
what keeping up would cost (its CPU over the share of its frames it handled): that is its
CPU per camera. The clients are in ``tianwang.bench_ingest_clients``.
"""

import asyncio
import json
import math
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from tianwang.bench_ingest_clients import FPS, GOP, KEPT_UP_BY, MODES, SIZE
from tianwang.process_usage import resources, tree_cpu_s

SETTLE_S = 2.0
SERVER_CORE_STREAMS = 150
"""Streams the RTSP simulator serves per core it is given (it costs 4-6 ms per stream-second)."""


# -- the benchmark ----------------------------------------------------------------------------


def split_cores(cameras: int) -> tuple[set[int], set[int]]:
    """(the RTSP server's cores, the clients' cores) out of this process's: the server gets
    what its streams need and at least one core is left to the clients (one core: shared)."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return set(cores), set(cores)
    server = min(len(cores) - 1, max(1, math.ceil(cameras / SERVER_CORE_STREAMS)))
    return set(cores[:server]), set(cores[server:])


class _Client:
    """One client process of a way, reading a shard of the streams."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._in, self._out = process.stdin, process.stdout

    async def ready(self) -> None:
        await self._out.readline()  # READY: imports done

    async def ask(self) -> dict[str, int]:
        self._in.write(b"?\n")
        await self._in.drain()
        return dict(json.loads(await self._out.readline() or b"{}"))

    async def stop(self) -> dict[str, int]:
        self._in.write(b"stop\n")
        await self._in.drain()
        return dict(json.loads((await asyncio.wait_for(self._out.readline(), 30)) or b"{}"))


def _summed(answers: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for answer in answers:
        for key, value in answer.items():
            total[key] = total.get(key, 0) + value
    return total


async def _measure(
    mode: str,
    urls: list[str],
    seconds: float,
    server_pid: int,
    warmup_s: float,
    processes: int = 1,
    cores: set[int] | None = None,
) -> dict[str, Any]:
    """One way on ``urls``, its streams dealt over ``processes`` client processes (as the
    service deals its cameras over one worker process per core)."""
    shards = [urls[i :: max(1, processes)] for i in range(min(max(1, processes), len(urls)))]
    clients = [
        _Client(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tianwang.bench_ingest_clients",
                mode,
                *shard,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                preexec_fn=None if cores is None else partial(os.sched_setaffinity, 0, cores),
            )
        )
        for shard in shards
    ]
    pids = [client.process.pid for client in clients]

    def cpu_s() -> float:
        return sum(tree_cpu_s(pid) for pid in pids)

    def resources_now() -> dict[str, float]:
        return {
            key: sum(resources(pid)[key] for pid in pids) for key in ("fds", "threads", "rss_mb")
        }

    async def ask() -> dict[str, int]:
        return _summed([await client.ask() for client in clients])

    try:
        for client in clients:
            await client.ready()
        idle_mb = resources_now()["rss_mb"]
        # The window opens once every stream flows (or the warm-up runs out), plus a settle.
        deadline = time.monotonic() + warmup_s
        flowing = 0
        while time.monotonic() < deadline:
            flowing = (await ask()).get("flowing", 0)
            if flowing >= len(urls):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(SETTLE_S)
        seen0 = await ask()
        client0, server0, t0 = cpu_s(), tree_cpu_s(server_pid), time.monotonic()
        await asyncio.sleep(seconds)
        client1, server1, t1 = cpu_s(), tree_cpu_s(server_pid), time.monotonic()
        seen1 = await ask()
        busy = resources_now()
        counts = _summed([await client.stop() for client in clients])
    finally:
        for client in clients:
            if client.process.returncode is None:
                client.process.kill()
            await client.process.wait()
    camera_s = len(urls) * (t1 - t0)
    unit, rate = KEPT_UP_BY[mode]
    kept_up = (seen1.get(unit, 0) - seen0.get(unit, 0)) / (rate * camera_s)
    cpu_ms = 1000 * (client1 - client0) / camera_s
    return {
        "kept_up": kept_up,
        "mode": mode,
        "client_cpu_ms_per_camera_s": cpu_ms,
        "full_rate_cpu_ms_per_camera_s": cpu_ms / min(1.0, kept_up) if kept_up > 0 else 0.0,
        "server_cpu_ms_per_stream_s": 1000 * (server1 - server0) / camera_s,
        "memory_mb_per_camera": (busy["rss_mb"] - idle_mb) / len(urls),
        "threads": busy["threads"],
        "counts": counts,
        "flowing_at_start": flowing,
        "processes": len(clients),
    }


async def bench_ingest(
    cameras: int,
    seconds: float,
    *,
    clip_dir: Path | None = None,
    warmup_s: float | None = None,
    processes: int = 0,
) -> dict[str, Any]:
    """Measure every mode in turn on ``cameras`` simulated streams, each way's client over
    ``processes`` processes (0: one per client core); figures and the rows."""
    from simulator.clips import Scene, ensure_clip
    from simulator.rtsp import RtspSimulator

    folder = clip_dir or Path(tempfile.gettempdir()) / "tianwang-bench-clips"
    clip = await asyncio.to_thread(
        ensure_clip, Scene.STREET, folder, seconds=20, fps=FPS, gop=GOP, size=SIZE, seed=1
    )
    warmup = warmup_s if warmup_s is not None else 30.0 + cameras * 0.2
    rows = []
    streams = {f"cam{i:04d}": clip for i in range(cameras)}
    server_cores, client_cores = split_cores(cameras)
    processes = processes or len(client_cores)
    async with RtspSimulator(streams, fps=FPS, ready_timeout=60, cpus=server_cores) as rtsp:
        assert rtsp.pid is not None
        urls = [rtsp.url(name) for name in streams]
        for mode in MODES:
            row = await _measure(mode, urls, seconds, rtsp.pid, warmup, processes, client_cores)
            rows.append(
                row | {"server_cores": len(server_cores), "client_cores": len(client_cores)}
            )
    by_mode = {row["mode"]: row for row in rows}
    silent = [
        row["mode"] for row in rows if row["client_cpu_ms_per_camera_s"] <= 0 or not row["kept_up"]
    ]
    if silent:
        raise RuntimeError(
            f"no video reached the {', '.join(silent)} client(s): the RTSP simulator stopped "
            "serving (see the clients' errors above); nothing to compare"
        )

    def cpu(mode: str) -> float:
        return float(by_mode[mode]["full_rate_cpu_ms_per_camera_s"])

    def per_core(mode: str) -> float:
        return round(1000 / cpu(mode), 1) if cpu(mode) > 0 else float("inf")

    figures = {
        "cameras": cameras,
        "seconds": float(seconds),
        "patrol_cameras_per_core": per_core("patrol"),
        "floor_cameras_per_core": per_core("floor"),
        "frigate_style_cameras_per_core": per_core("frigate"),
        "opencv_cameras_per_core": per_core("opencv"),
        "patrol_vs_floor": round(cpu("patrol") / cpu("floor"), 2),
        "patrol_vs_frigate_style": round(cpu("frigate") / cpu("patrol"), 2),
        "patrol_vs_opencv": round(cpu("opencv") / cpu("patrol"), 2),
        "memory_mb_per_camera": round(float(by_mode["patrol"]["memory_mb_per_camera"]), 2),
    }
    return {"figures": figures, "rows": rows}
