"""`tianwang bench ingest` on a couple of real RTSP streams: every way really reads them,
and the last line is the JSON object the issue asks for."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.rtsp import rtsp_server_problem

pytestmark = pytest.mark.integration
TIANWANG = str(Path(sys.executable).with_name("tianwang"))

KEYS = [
    "cameras",
    "seconds",
    "patrol_cameras_per_core",
    "floor_cameras_per_core",
    "frigate_style_cameras_per_core",
    "opencv_cameras_per_core",
    "patrol_vs_floor",
    "patrol_vs_frigate_style",
    "patrol_vs_opencv",
    "memory_mb_per_camera",
]


def test_bench_ingest_measures_every_way_on_the_streams_and_ends_with_the_json_line() -> None:
    problem = rtsp_server_problem()
    if problem is not None:
        pytest.skip(f"SERVICE MISSING: GStreamer RTSP server: {problem}")
    if shutil.which("ffmpeg") is None:
        pytest.skip("SERVICE MISSING: ffmpeg (Debian package ffmpeg) for the Frigate-style way")
    done = subprocess.run(
        [TIANWANG, "bench", "ingest", "--cameras", "2", "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert list(figures) == KEYS
    assert figures["cameras"] == 2 and figures["seconds"] == 3.0
    rows = {line.split()[0]: line for line in lines[2:7]}
    assert list(rows) == ["patrol", "keyframes", "floor", "frigate", "opencv"]
    # Each way read the streams: nothing measured an idle client.
    assert "'decoded': 0" not in rows["patrol"] and "'packets': 0," not in rows["floor"]
    assert "'frames': 0," not in rows["frigate"] and "'frames': 0," not in rows["opencv"]
    # Decoding every frame costs more than receiving alone, on any machine.
    assert figures["floor_cameras_per_core"] > figures["opencv_cameras_per_core"]
    assert figures["memory_mb_per_camera"] > 0
