"""The live view over WebRTC: real RTSP simulator upstream, real aiortc peers over HTTP.

What it must show: viewers of one camera share ONE upstream RTSP connection (counted by
the service and by the TCP connections open to the RTSP server), the last viewer's
leaving closes it, roles and grids decide who may watch, and a camera's RTSP credentials
appear in no answer and no log line.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import add_user, issue_token, token_for
from api.live_video import LiveVideo
from api.server import serve_app
from camera_registry.camera_store import set_stream_url
from simulator.clips import Scene
from simulator.rtsp import RtspSimulator

pytestmark = pytest.mark.integration

GRID_BGY = "520626001002007"  # cam-bgy-01's grid
SECRET = "s3cret-Pa55"


def rtsp_connections(port: int) -> int:
    """Established TCP connections from this machine to the RTSP server's port."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01":  # 01 = ESTABLISHED
                count += 1
    return count


@pytest.fixture
async def rtsp(clips: dict[Scene, Path], rtsp_ready: None) -> AsyncIterator[RtspSimulator]:
    async with RtspSimulator({"street": clips[Scene.STREET]}, fps=10) as simulator:
        yield simulator


@pytest.fixture
async def served(engine: AsyncEngine) -> AsyncIterator[tuple[str, LiveVideo]]:
    app = create_app(engine)
    async with serve_app(app, "127.0.0.1", 0) as url:
        yield url, app.state.live_video


class Viewer:
    """A browser stand-in: an aiortc peer that only receives video."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver("video", direction="recvonly")
        self.track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.pc.on("track", lambda track: self.track.set_result(track))
        self.session = ""

    async def watch(self, http: httpx.AsyncClient, camera_id: str) -> httpx.Response:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        answer = await http.post(f"/api/v1/cameras/{camera_id}/webrtc", json=offer)
        if answer.status_code == 200:
            self.session = answer.json()["session"]
            await self.pc.setRemoteDescription(
                RTCSessionDescription(answer.json()["sdp"], "answer")
            )
        return answer

    async def frame_size(self) -> tuple[int, int]:
        async with asyncio.timeout(20):
            track = await self.track
            frame = await track.recv()
        return frame.width, frame.height  # type: ignore[union-attr]


async def until(condition: object, seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.1)


async def test_viewers_of_a_camera_share_one_upstream_closed_when_the_last_leaves(
    engine: AsyncEngine, rtsp: RtspSimulator, served: tuple[str, LiveVideo]
) -> None:
    url, live = served
    host_port = rtsp.url("street").split("//", 1)[1]
    await set_stream_url(engine, "cam-bgy-01", f"rtsp://viewer:{SECRET}@{host_port}")
    token = await token_for(engine, "op1", Role.operator)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        first, second, third = Viewer(), Viewer(), Viewer()
        answer = await first.watch(http, "cam-bgy-01")
        assert answer.status_code == 200, answer.text
        assert SECRET not in answer.text and "rtsp://" not in answer.text
        assert (await second.watch(http, "cam-bgy-01")).status_code == 200
        assert (await third.watch(http, "cam-bgy-01")).status_code == 200
        sizes = await asyncio.gather(first.frame_size(), second.frame_size(), third.frame_size())
        assert all(w > 0 and h > 0 for w, h in sizes)
        assert live.upstream_count == 1 and live.viewer_count("cam-bgy-01") == 3
        assert rtsp_connections(rtsp.port) == 1

        await first.pc.close()  # the browser went away: DTLS close, the service notices
        await until(lambda: live.viewer_count() == 2)
        gone = await http.delete(f"/api/v1/cameras/cam-bgy-01/webrtc/{second.session}")
        assert gone.status_code == 204 and live.viewer_count() == 1
        assert live.upstream_count == 1 and rtsp_connections(rtsp.port) == 1
        assert (await third.frame_size())[0] > 0  # the last viewer still sees the camera

        await third.pc.close()
        await until(lambda: live.upstream_count == 0)
        await until(lambda: rtsp_connections(rtsp.port) == 0)
        again = await http.delete(f"/api/v1/cameras/cam-bgy-01/webrtc/{third.session}")
        assert again.status_code == 404
        await second.pc.close()


async def test_a_camera_that_does_not_answer_is_a_502_without_its_credentials(
    engine: AsyncEngine, served: tuple[str, LiveVideo], caplog: pytest.LogCaptureFixture
) -> None:
    url, live = served
    await set_stream_url(engine, "cam-bgy-01", f"rtsp://viewer:{SECRET}@127.0.0.1:9/nothing")
    token = await token_for(engine, "op1", Role.operator)
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {token}"
        viewer = Viewer()
        answer = await viewer.watch(http, "cam-bgy-01")
        await viewer.pc.close()
    assert answer.status_code == 502 and "cam-bgy-01" in answer.json()["detail"]
    assert SECRET not in answer.text and SECRET not in caplog.text
    assert live.upstream_count == 0 and live.viewer_count() == 0


async def test_only_operators_inventory_and_a_grids_own_worker_may_watch(
    engine: AsyncEngine, served: tuple[str, LiveVideo]
) -> None:
    url, _ = served
    await add_user(engine, "gw-bgy", Role.grid_worker, grids=[GRID_BGY])
    worker = await issue_token(engine, "gw-bgy")
    viewer = await token_for(engine, "v1", Role.viewer)
    offer = {"sdp": "v=0\r\n", "type": "offer"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def post(camera: str, token: str | None) -> int:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = await http.post(
                f"/api/v1/cameras/{camera}/webrtc", json=offer, headers=headers
            )
            return answer.status_code

        assert await post("cam-bgy-01", None) == 401
        assert await post("cam-bgy-01", viewer) == 403
        assert await post("cam-nmy-01", worker) == 404  # another grid's camera: not there
        assert await post("cam-bgy-01", worker) == 502  # theirs: allowed (no stream here)
        assert await post("no-such-camera", worker) == 404
