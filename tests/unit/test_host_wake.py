"""Back-off waits that end when the same server answers again."""

import asyncio
import time

from ingest.host_wake import HostWake, host_of


def test_the_host_of_a_stream_is_its_address_and_port() -> None:
    assert host_of("rtsp://admin:pw@10.1.2.3:8554/ch1/sub") == "10.1.2.3:8554"
    assert host_of("rtsp://nvr.dejiang.local/ch7") == "nvr.dejiang.local:554"
    assert host_of("/srv/clips/fire.mp4") == ""
    assert host_of("rtsp://[::1:bad/x") == ""


async def test_a_camera_that_connects_wakes_the_others_of_its_host_only() -> None:
    wake = HostWake(spread_s=0.1)
    started = time.monotonic()
    same = asyncio.create_task(wake.sleep("nvr:554", 30))
    other = asyncio.create_task(wake.sleep("cam-7:554", 0.5))
    await asyncio.sleep(0.05)
    assert wake.hosts_waited_on == 2
    wake.answered("nvr:554")
    assert await same is True
    assert time.monotonic() - started < 1.0, "woken, not left to wait its 30 s"
    assert await other is False, "another host's wait runs its course"
    assert wake.hosts_waited_on == 1


async def test_without_a_host_the_wait_is_plain() -> None:
    started = time.monotonic()
    assert await HostWake().sleep("", 0.05) is False
    assert time.monotonic() - started >= 0.05
