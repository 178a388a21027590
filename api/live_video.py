"""Live camera video over WebRTC (aiortc): one upstream RTSP connection per camera, shared.

A camera's first viewer opens its RTSP sub-stream (aiortc's MediaPlayer, which decodes in a
thread of its own); every viewer gets a MediaRelay proxy of that one track, so ten
operators watching one camera cost the camera one connection. When a viewer's peer
connection closes or fails (the browser left, or said so with DELETE) the proxy stops; the
last viewer's leaving closes the upstream. The RTSP URL carries credentials: it is opened
here and never logged or returned — errors name the camera and the kind of failure only.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRelay
from prometheus_client import Gauge

from camera_registry.credentials import mask_text

log = logging.getLogger(__name__)

UPSTREAMS = Gauge("tianwang_webrtc_upstreams", "Cameras with an open live-view RTSP connection.")
VIEWERS = Gauge("tianwang_webrtc_viewers", "Open WebRTC live-view peer connections.")

RTSP_OPTIONS = {"rtsp_transport": "tcp", "timeout": "5000000"}
CONNECT_WITHIN_S = 30.0
"""A viewer whose peer connection is not up by then is closed (it never reached us)."""


class UpstreamUnavailable(Exception):
    """The camera's stream could not be opened; the message never holds its URL."""


def open_player(url: str) -> MediaPlayer:
    """Open an RTSP (or file) source for relaying; blocking, so call it in a thread."""
    options = RTSP_OPTIONS if url.startswith("rtsp") else {}
    return MediaPlayer(url, options=options, timeout=5)


@dataclass
class Upstream:
    """One camera's open stream and the peer connections watching it."""

    camera_id: str
    player: MediaPlayer
    relay: MediaRelay = field(default_factory=MediaRelay)
    viewers: dict[str, RTCPeerConnection] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        """Whether the stream still delivers (a dropped RTSP connection ends the track)."""
        track = self.player.video
        return track is not None and track.readyState == "live"


@dataclass
class LiveVideo:
    """The live views of one app: upstreams by camera, viewers by session id."""

    stream_url: Callable[[str], Awaitable[str]]
    """The camera's sub-stream URL with credentials (camera_store.open_url)."""
    player_factory: Callable[[str], MediaPlayer] = open_player
    _upstreams: dict[str, Upstream] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _timers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def upstream_count(self) -> int:
        """How many cameras have an open upstream connection right now."""
        return len(self._upstreams)

    def viewer_count(self, camera_id: str | None = None) -> int:
        """Open peer connections, for one camera or all."""
        ups = self._upstreams.values()
        return sum(len(u.viewers) for u in ups if camera_id in (None, u.camera_id))

    async def answer(self, camera_id: str, offer: RTCSessionDescription) -> tuple[str, str]:
        """Accept a browser's offer for ``camera_id``: (session id, SDP answer).

        Raises UpstreamUnavailable when the camera's stream cannot be opened, and
        ValueError when the offer is not a usable SDP offer.
        """
        pc = RTCPeerConnection()
        session = secrets.token_urlsafe(12)
        try:
            async with self._lock:
                upstream = await self._upstream(camera_id)
                assert upstream.player.video is not None
                track = upstream.relay.subscribe(upstream.player.video, buffered=False)
                upstream.viewers[session] = pc
                VIEWERS.inc()
            self._watch(pc, camera_id, session, track)
            await pc.setRemoteDescription(offer)
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "video":
                    transceiver.direction = "sendonly"
                    pc.addTrack(track)
                    break
            else:
                raise ValueError("the offer asks for no video")
            await pc.setLocalDescription(await pc.createAnswer())
        except UpstreamUnavailable:
            await pc.close()
            raise
        except Exception as exc:  # a malformed offer: close what was opened for it
            await self.leave(camera_id, session)
            await pc.close()
            raise ValueError(f"unusable offer: {mask_text(str(exc))[:200]}") from exc
        local = pc.localDescription
        return session, local.sdp

    def _watch(
        self, pc: RTCPeerConnection, camera_id: str, session: str, track: MediaStreamTrack
    ) -> None:
        async def give_up_unless_connected() -> None:
            await asyncio.sleep(CONNECT_WITHIN_S)
            if pc.connectionState != "connected":
                log.info("live view of %s: viewer never connected; closing", camera_id)
                await self.leave(camera_id, session)

        timer = asyncio.get_running_loop().create_task(give_up_unless_connected())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState == "connected":
                timer.cancel()
            elif pc.connectionState in ("failed", "closed"):
                timer.cancel()
                track.stop()
                await self.leave(camera_id, session)

    async def _upstream(self, camera_id: str) -> Upstream:
        upstream = self._upstreams.get(camera_id)
        if upstream is not None and upstream.alive:
            return upstream
        if upstream is not None:  # the camera dropped; its viewers see the end of the track
            await self._close(upstream)
        url = await self.stream_url(camera_id)
        if not url:
            raise UpstreamUnavailable(f"camera {camera_id} has no stream URL in the register")
        try:
            player = await asyncio.to_thread(self.player_factory, url)
        except (av.FFmpegError, OSError) as exc:
            kind = type(exc).__name__
            log.warning("live view of %s: stream did not open (%s)", camera_id, kind)
            raise UpstreamUnavailable(f"camera {camera_id}: stream did not open ({kind})") from None
        if player.video is None:
            await stop_player(player)
            raise UpstreamUnavailable(f"camera {camera_id}: the stream has no video")
        upstream = Upstream(camera_id, player)
        self._upstreams[camera_id] = upstream
        UPSTREAMS.set(len(self._upstreams))
        log.info("live view of %s: upstream opened", camera_id)
        return upstream

    async def leave(self, camera_id: str, session: str) -> bool:
        """Close one viewer; the camera's last viewer closes its upstream. False if unknown."""
        async with self._lock:
            upstream = self._upstreams.get(camera_id)
            pc = upstream.viewers.pop(session, None) if upstream is not None else None
            if pc is None:
                return False
            VIEWERS.dec()
            if upstream is not None and not upstream.viewers:
                await self._close(upstream)
        await pc.close()
        return True

    async def _close(self, upstream: Upstream) -> None:
        if self._upstreams.get(upstream.camera_id) is upstream:
            del self._upstreams[upstream.camera_id]
        UPSTREAMS.set(len(self._upstreams))
        await stop_player(upstream.player)
        log.info("live view of %s: upstream closed", upstream.camera_id)

    async def close_all(self) -> None:
        """Close every viewer and upstream (the app is stopping)."""
        for upstream in list(self._upstreams.values()):
            for session in list(upstream.viewers):
                with contextlib.suppress(Exception):
                    await self.leave(upstream.camera_id, session)
            if upstream.camera_id in self._upstreams:
                async with self._lock:
                    await self._close(upstream)


async def stop_player(player: MediaPlayer) -> None:
    """Stop the player: its decoding thread ends and the RTSP connection closes."""
    tracks = [t for t in (player.video, player.audio) if t is not None]

    # stop() joins the decoding thread, which may sit in a network read for a moment.
    def stop_all() -> None:
        for track in tracks:
            track.stop()

    await asyncio.to_thread(stop_all)
    for track in tracks:
        # A stopped player leaves its track's reader (the relay) waiting; the end-of-stream
        # mark lets that reader finish instead of waiting for ever.
        queue = getattr(track, "_queue", None)
        if isinstance(queue, asyncio.Queue):
            queue.put_nowait(None)


class _MaskCredentials(logging.Filter):
    """aiortc's player names its source (the URL, credentials and all) in some log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


logging.getLogger("aiortc.contrib.media").addFilter(_MaskCredentials())
