"""The RTSP probe on the event loop: a live server passes; refused, silent and non-RTSP
addresses fail with their reason, without a session thread."""

import asyncio
import threading
from pathlib import Path

import pytest

from ingest.rtsp_probe import probe_rtsp
from ingest.stream_errors import StreamError
from simulator.clips import Scene
from simulator.ports import free_port
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS

pytestmark = pytest.mark.integration


async def serve(answer: bytes | None) -> tuple[asyncio.Server, int]:
    """A server that reads a request and answers ``answer`` (None: says nothing)."""

    async def talk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(talk, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def reason(url: str, timeout_s: float = 1.0) -> str | None:
    try:
        await probe_rtsp(url, timeout_s)
    except StreamError as exc:
        return exc.reason
    return None


async def test_a_live_rtsp_server_passes_and_its_password_never_goes_on_the_wire(
    rtsp_ready: None, clips: dict[Scene, Path]
) -> None:
    async with RtspSimulator({"cam": clips[Scene.STREET]}, fps=CLIP_FPS) as rtsp:
        assert await reason(rtsp.url("cam").replace("rtsp://", "rtsp://admin:pw@"), 5.0) is None
    heard: list[bytes] = []

    async def listen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heard.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(listen, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        assert await reason(f"rtsp://admin:s3cret@127.0.0.1:{port}/ch1") is None  # 401: alive
    assert b"s3cret" not in heard[0] and heard[0].startswith(b"OPTIONS rtsp://127.0.0.1:")


async def test_refused_silent_and_non_rtsp_addresses_fail_with_their_reason() -> None:
    threads = threading.active_count()
    assert await reason(f"rtsp://127.0.0.1:{free_port()}/ch1") == "refused"
    silent, silent_port = await serve(None)
    http, http_port = await serve(b"HTTP/1.1 404 Not Found\r\n\r\n")
    async with silent, http:
        assert await reason(f"rtsp://127.0.0.1:{silent_port}/ch1", 0.5) == "timeout"
        assert await reason(f"rtsp://127.0.0.1:{http_port}/ch1") == "bad_data"
    assert threading.active_count() == threads, "the probe runs on the event loop"
    assert await reason("/var/clips/file.mp4") is None  # files are not probed
