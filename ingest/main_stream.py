"""One full-resolution picture from a camera's main stream, as an incident's evidence.

Analytics read the sub-stream (640x360 here); an operator judging a fire or a plate wants
the main stream's picture. Opening the main stream costs a connection and the decoding of
one high-resolution key frame, so it happens only for a confirmed detection, at most once
per camera per ``cooldown_s`` and a few at a time per worker; the sub-stream's snapshot
is already stored, so a main stream that fails costs nothing but a log line.
"""

import asyncio
import logging
import time

import av
import numpy as np

from detectors.frame_api import Frame
from ingest.camera_session import open_options
from ingest.stream_errors import StreamError, stream_error

log = logging.getLogger(__name__)

GRABS_AT_ONCE = 2
"""Main-stream pictures a worker process fetches at the same time, by default."""


def grab_key_frame(url: str, open_timeout_s: float, read_timeout_s: float, wait_s: float) -> Frame:
    """The first key frame of ``url``, as BGR (blocking); StreamError when there is none
    within ``wait_s`` or the stream fails."""
    options = open_options(url, "tcp", read_timeout_s)
    deadline = time.monotonic() + wait_s
    try:
        with av.open(url, options=options, timeout=(open_timeout_s, read_timeout_s)) as container:
            if not container.streams.video:
                raise StreamError("no_video_stream", "the main stream carries no video track")
            stream = container.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY"
            stream.codec_context.thread_count = 1
            for packet in container.demux(stream):
                if time.monotonic() > deadline:
                    break
                if not packet.is_keyframe:
                    continue
                for frame in packet.decode():
                    image = frame.to_ndarray(format="bgr24", threads=1)
                    return np.ascontiguousarray(image, dtype=np.uint8)
    except (av.error.FFmpegError, OSError) as exc:
        raise stream_error(exc) from exc
    raise StreamError("timeout", f"no key frame on the main stream within {wait_s:.0f} s")


class MainStreamGrabber:
    """Fetches main-stream pictures for one camera, no more often than ``cooldown_s``, while
    holding ``at_once`` (shared by a worker's cameras)."""

    def __init__(
        self,
        camera_id: str,
        url: str,
        at_once: asyncio.Semaphore,
        cooldown_s: float = 60.0,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 5.0,
        wait_s: float = 10.0,
    ) -> None:
        self.camera_id = camera_id
        self._url = url
        self._at_once = at_once
        self._cooldown_s = cooldown_s
        self._timeouts = (open_timeout_s, read_timeout_s, wait_s)
        self._last = -1e9

    def due(self) -> bool:
        """True when a picture may be fetched now (and marks it taken)."""
        now = time.monotonic()
        if now - self._last < self._cooldown_s:
            return False
        self._last = now
        return True

    async def grab(self) -> Frame | None:
        """A main-stream picture, or None (logged) when the stream gives none."""
        async with self._at_once:
            try:
                return await asyncio.to_thread(grab_key_frame, self._url, *self._timeouts)
            except StreamError as exc:
                log.warning(
                    "camera %s: no main-stream picture (%s: %s); the sub-stream's stands",
                    self.camera_id,
                    exc.reason,
                    exc.detail,
                )
                return None
