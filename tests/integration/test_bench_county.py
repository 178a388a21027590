"""`tianwang bench county` at a small scale: `tianwang serve` on the register, reachable
cameras analysed, each unreachable one offline with exactly one health incident, recovery
after an RTSP outage, no threads or descriptors left behind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.rtsp import rtsp_server_problem

pytestmark = pytest.mark.integration
TIANWANG = str(Path(sys.executable).with_name("tianwang"))


def test_the_whole_register_runs_and_recovers_from_an_rtsp_outage() -> None:
    problem = rtsp_server_problem()
    if problem is not None:
        pytest.skip(f"SERVICE MISSING: GStreamer RTSP server: {problem}")
    env = {**os.environ, "TIANWANG_INGEST__RECONNECT_MAX_S": "4", "TIANWANG_INGEST__OPEN_TIMEOUT_S": "2",
           "TIANWANG_INGEST__READ_TIMEOUT_S": "2"}  # fmt: skip
    # An outage long enough for several failed reconnects on a slow machine (6 s flaked).
    scale = ["--cameras", "14", "--streaming", "2", "--minutes", "0.4", "--outage", "12"]
    done = subprocess.run(
        [TIANWANG, "bench", "county", *scale, "--json"],
        capture_output=True,
        text=True,
        timeout=400,
        check=True,
        env=env,
    )
    f = json.loads(done.stdout.strip().splitlines()[-1])
    assert (f["cameras"], f["streaming"], f["unreachable"]) == (14, 2, 12)
    assert f["analysed"] == 2
    assert f["unreachable_offline_with_one_incident"] == 12
    # Still trying, each at most once per open timeout (2 s) plus its back-off.
    assert 0 < f["unreachable_tries_per_minute"] <= 30
    assert f["streaming_offline_s"] is not None, "the outage took the streaming cameras offline"
    assert f["recovered_s"] is not None and f["recovered_s"] <= f["reconnect_cap_s"] + 60
    assert f["threads_after"] <= f["threads_before"] + 2
    assert f["fds_after"] <= f["fds_before"] + 10
