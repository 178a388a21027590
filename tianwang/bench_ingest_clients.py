"""The clients of `tianwang bench ingest`, each run in a process of its own: ``python -m
tianwang.bench_ingest_clients MODE URL...`` reads the streams one way (see
``tianwang.bench_ingest``), prints ``READY`` once imported, then for each ``?`` on stdin the
number of streams flowing and its counts so far (JSON), until ``stop``: then its counts.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

MODES = ("patrol", "keyframes", "floor", "frigate", "opencv")
FPS = 25
GOP = 50
SIZE = (640, 360)
FRIGATE_FPS = 5
KEPT_UP_BY = {
    "patrol": ("packets", FPS),
    "keyframes": ("packets", FPS),
    "floor": ("packets", FPS),
    "frigate": ("frames", FRIGATE_FPS),
    "opencv": ("frames", FPS),
}
"""What each way counts, and how many of those a camera-second should give it."""
FLOWING: set[str] = set()
"""In a client: the URLs that delivered their first packet or frame."""


# -- the clients (run in a child process) ---------------------------------------------------


def _floor(urls: list[str], stop: threading.Event, counts: dict[str, int]) -> None:
    import av

    def read(url: str) -> None:
        options = {"rtsp_transport": "tcp", "timeout": "5000000"}
        with av.open(url, options=options, timeout=(5.0, 5.0)) as container:
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                if packet.size:
                    counts["packets"] += 1
                    FLOWING.add(url)

    _until_stopped(_threads(urls, read), stop)


def _opencv(urls: list[str], stop: threading.Event, counts: dict[str, int]) -> None:
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "rtsp_transport;tcp"
    import cv2

    def read(url: str) -> None:
        capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        try:
            while not stop.is_set():
                ok, _ = capture.read()
                if not ok:
                    return
                counts["frames"] += 1
                FLOWING.add(url)
        finally:
            capture.release()

    _until_stopped(_threads(urls, read), stop)


def _frigate(urls: list[str], stop: threading.Event, counts: dict[str, int]) -> None:
    frame_bytes = SIZE[0] * SIZE[1] * 3 // 2
    processes: list[subprocess.Popen[bytes]] = []

    def read(url: str) -> None:
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp"]
        command += ["-i", url, "-r", str(FRIGATE_FPS), "-vf", f"fps={FRIGATE_FPS}"]
        command += ["-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:"]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(process)
        assert process.stdout is not None
        while not stop.is_set():
            frame = process.stdout.read(frame_bytes)
            if len(frame) < frame_bytes:
                return
            counts["frames"] += 1
            FLOWING.add(url)

    readers = _threads(urls, read)
    try:
        stop.wait()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
    _until_stopped(readers, stop)


def _patrol(
    urls: list[str], stop: threading.Event, counts: dict[str, int], *, detect: bool = True
) -> None:
    from config.settings import load_settings
    from ingest.backoff import Backoff
    from ingest.camera_health import PictureHealth
    from ingest.camera_worker import CameraWorker
    from ingest.metrics import FRAMES_DECODED, PACKETS
    from tianwang.pipeline import frame_detectors, health_params, session_policy

    settings = load_settings()
    snapshots = Path(tempfile.mkdtemp(prefix="tw-bench-"))

    async def run() -> None:
        workers = [
            CameraWorker(
                f"bench-{i}",
                url,
                frame_detectors(settings) if detect else [],
                lambda detection: None,
                session_policy(settings),
                Backoff(1.0, 10.0),
                snapshots,
                health=PictureHealth(health_params(settings)),
            )
            for i, url in enumerate(urls)
        ]
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        while not stop.is_set():
            packets = [PACKETS.labels(f"bench-{i}")._value.get() for i in range(len(urls))]
            FLOWING.update(url for url, n in zip(urls, packets, strict=True) if n > 0)
            counts["packets"] = int(sum(packets))  # counted at each key frame
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        counts["decoded"] = int(
            sum(FRAMES_DECODED.labels(f"bench-{i}")._value.get() for i in range(len(urls)))
        )

    asyncio.run(run())


def _threads(urls: list[str], read: Any) -> list[threading.Thread]:
    def guarded(url: str) -> None:
        try:
            read(url)
        except Exception as exc:  # a client that fails is visible in its counts
            print(f"client error: {type(exc).__name__}: {exc}", file=sys.stderr)

    threads = [threading.Thread(target=guarded, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    return threads


def _until_stopped(threads: list[threading.Thread], stop: threading.Event) -> None:
    """Wait for ``stop``, then for the readers to see it: a reader still inside OpenCV or
    FFmpeg when the interpreter exits aborts the process ("exception not rethrown")."""
    stop.wait()
    deadline = time.monotonic() + 10.0
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def client_main(mode: str, urls: list[str]) -> None:
    """One client: READY, then for each ``?`` on stdin the number of streams flowing and the
    counts so far (JSON), until ``stop``: then the counts as JSON."""
    stop = threading.Event()
    counts: dict[str, int] = {"packets": 0, "frames": 0, "decoded": 0}
    runners: dict[str, Callable[[list[str], threading.Event, dict[str, int]], None]] = {
        "patrol": _patrol,
        "keyframes": partial(_patrol, detect=False),
        "floor": _floor,
        "frigate": _frigate,
        "opencv": _opencv,
    }
    run = runners[mode]
    if mode in ("patrol", "keyframes"):  # imported before READY: memory is counted per camera
        import tianwang.pipeline  # noqa: F401
    print("READY", flush=True)
    runner = threading.Thread(target=run, args=(urls, stop, counts), daemon=True)
    runner.start()
    while sys.stdin.readline().strip() == "?":
        print(json.dumps({"flowing": len(FLOWING), **counts}), flush=True)
    stop.set()
    runner.join(15)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    client_main(sys.argv[1], sys.argv[2:])
