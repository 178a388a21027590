"""`tianwang bench sensors` at a small scale, on a Mosquitto of its own: every malformed
message becomes a dead letter, nothing is lost, the last line has the issue's keys."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
TIANWANG = str(Path(sys.executable).with_name("tianwang"))
KEYS = [
    "messages",
    "mqtt_version",
    "msgs_per_s_per_core",
    "alarm_latency_p50_ms",
    "alarm_latency_p99_ms",
    "malformed_sent",
    "dead_letters",
    "lost",
]


def test_bench_sensors_accounts_for_every_message_sent() -> None:
    if shutil.which("mosquitto") is None:
        pytest.skip("SERVICE MISSING: mosquitto binary (Debian package mosquitto)")
    done = subprocess.run(
        [
            TIANWANG,
            "bench",
            "sensors",
            "--messages",
            "3000",
            "--rate",
            "1500",
            "--alarm-share",
            "0.01",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert list(figures) == KEYS
    assert figures["messages"] == 3000 and figures["mqtt_version"] == 5
    assert figures["malformed_sent"] > 200 and figures["dead_letters"] == figures["malformed_sent"]
    assert figures["lost"] == 0
    assert figures["alarm_latency_p99_ms"] >= figures["alarm_latency_p50_ms"] > 0
