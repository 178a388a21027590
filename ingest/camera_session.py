"""One connection to one camera's stream, run in its own thread: demux, decode, analyse.

Patrol and focus (see ARCHITECTURE.md): in patrol the stream's decoder skips every non-key
frame (``skip_frame = "NONKEY"``) and the detectors' cheap screens look at key frames only; a
screen hit starts a focus decoder of its own on that key frame (its reference), and every
frame at ``focus_fps`` goes to the detectors' confirm step until ``focus_s`` passes with
nothing confirmed; focus ends on the next key frame. A detector
marked ``continuous`` (traffic counting lines) keeps the camera in focus for good. Focus
time is stream time, so the offline ``tianwang detect`` (unpaced, as fast as the CPU
goes) makes the same decisions as a live camera.
"""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import av
import cv2
import numpy as np
from av.video.codeccontext import VideoCodecContext

from detectors.frame_api import SCREEN_HIT, Frame, FrameDetector
from detectors.model import SNAPSHOT, Finding
from ingest.focus_budget import ASKED_PRIORITY, DEFAULT_PRIORITY, PRIORITY, FocusBudget
from ingest.metrics import (
    CAMERAS_IN_FOCUS,
    DECODE_CPU,
    FOCUS_SECONDS,
    FRAMES_ANALYSED,
    FRAMES_DECODED,
    LAST_PACKET,
    PACKETS,
)
from ingest.stream_errors import StreamError, stream_error

# Every camera session is a thread of its own, and the detectors work on pictures of 160 to
# 320 pixels: OpenCV's own worker pool (a thread per core) only adds threads that contend
# with the other sessions for the cores (`bench ingest --cameras 150`, one run each: patrol
# 7.05 ms per camera-second with the pool, 6.69 without).
cv2.setNumThreads(1)

FindingSink = Callable[[Finding, Frame], None]
"""Called in the session's thread with each confirmed Finding and the frame that showed it."""
KeyFrameSink = Callable[[Frame, float], None]
"""Called in the session's thread with each decoded key frame and its stream time (health)."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How a session opens its stream and how often it analyses frames."""

    transport: str = "tcp"
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    focus_fps: float = 5.0
    focus_s: float = 10.0
    pace_files: bool = True
    """Play file sources at their real rate (the demo); ``detect`` reads them flat out."""
    patrol_every_s: float = 0.0
    """In patrol, decode a key frame only this long after the last one decoded (0: each)."""
    health_every_s: float = 0.0
    """Hand a decoded key frame to the picture health checks at most this often (0: each)."""
    stall_s: float = 15.0
    """No packet for this long on an open stream: the worker ends the session (stalled)."""


HOLD_FOCUS = 3.0
"""A focus that a detector keeps ``watching`` lasts at most this many times ``focus_s``."""

PATROL_DECODING = {"skip_loop_filter": "all", "flags2": "fast"}
"""Patrol's key frames go only to the screens and the health checks (pictures of 160 to 320
pixels) and are no decoded frame's reference: H.264's deblocking filter is skipped (0.4 grey
levels on average on a 640x360 street key frame) and FFmpeg may take its shortcuts; decoding
and converting a key frame, one core: 1.67 -> 1.32 ms. Focus decodes in full."""


def _focus_decoder(stream: av.VideoStream, key: "av.Packet[av.VideoStream]") -> VideoCodecContext:
    """A decoder of its own for focus, started on the key frame ``key``: every frame,
    deblocked. When FFmpeg cannot open one from the stream's parameters alone, the
    stream's own decoder, told to decode every frame from here on."""
    patrol = stream.codec_context
    try:
        decoder = av.CodecContext.create(patrol.name, "r")
        assert isinstance(decoder, VideoCodecContext)
        decoder.extradata = patrol.extradata
        decoder.width, decoder.height = patrol.width, patrol.height
        decoder.thread_count = 1
        decoder.decode(key)
    except av.error.FFmpegError:
        patrol.skip_frame = "DEFAULT"
        return patrol
    return decoder


def _bgr(frame: av.VideoFrame) -> Frame:
    # One thread: swscale's default (auto) starts a pool of threads per stream's converter,
    # two more threads per camera that a key frame every few seconds never needs.
    return np.asarray(frame.to_ndarray(format="bgr24", threads=1), dtype=np.uint8)


def open_options(url: str, transport: str, read_timeout_s: float) -> dict[str, str]:
    """FFmpeg options to open ``url``: RTSP over ``transport`` with a socket timeout."""
    if not url.startswith(("rtsp://", "rtsps://")):
        return {}
    return {"rtsp_transport": transport, "timeout": str(int(read_timeout_s * 1e6))}


def _is_network(url: str) -> bool:
    return url.startswith(("rtsp://", "rtsps://", "rtmp://", "http://", "https://"))


class CameraSession:
    """Reads one camera until the stream ends, fails (StreamError) or ``stop`` is set."""

    def __init__(
        self,
        camera_id: str,
        url: str,
        detectors: Sequence[FrameDetector],
        policy: SessionPolicy,
        on_finding: FindingSink,
        stop: threading.Event,
        on_open: Callable[[], None] = lambda: None,
        focus_request: Callable[[], float] = lambda: 0.0,
        snapshot_request: Callable[[], bool] = lambda: False,
        on_key_frame: KeyFrameSink | None = None,
        budget: FocusBudget | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._budget = budget
        self._focus_request = focus_request
        self._snapshot_request = snapshot_request
        """True (once) when someone wants the next decoded picture as evidence."""
        """Seconds of focus someone outside still asks for (a sensor alarm, an operator)."""
        self._url = url
        self._detectors = detectors
        self._policy = policy
        self._on_finding = on_finding
        self._on_open = on_open
        self._on_key_frame = on_key_frame
        self._stop = stop
        self._decoded = FRAMES_DECODED.labels(camera_id)
        self._analysed = FRAMES_ANALYSED.labels(camera_id)
        self._packets = PACKETS.labels(camera_id)
        self._cpu = DECODE_CPU.labels(camera_id)
        self._focus_seconds = FOCUS_SECONDS.labels(camera_id)
        self._last_packet = LAST_PACKET.labels(camera_id)
        self.focus_until = 0.0
        self._focused = False
        self._focus_started = 0.0
        self.last_packet_at = time.monotonic()
        """Monotonic time of the last packet (the worker's stall watchdog reads it)."""
        self._continuous = any(getattr(d, "continuous", False) for d in detectors)
        self.frames = 0
        """Video packets demuxed (one per frame)."""
        self.rate = 25.0
        """The stream's frame rate, as the container tells it."""
        self.frames_decoded = 0
        self.position_s = 0.0
        """Seconds into the stream of the frame being analysed (from its first frame)."""

    def run(self) -> str:
        """Read until the end; returns "eof" or "stopped", raises StreamError on failure."""
        p = self._policy
        options = open_options(self._url, p.transport, p.read_timeout_s)
        asked_at = time.monotonic()
        try:
            container = av.open(
                self._url, options=options, timeout=(p.open_timeout_s, p.read_timeout_s)
            )
        except (av.error.FFmpegError, OSError) as exc:
            waited_s = time.monotonic() - asked_at
            if isinstance(exc, av.error.InvalidDataError) and waited_s >= 0.9 * p.read_timeout_s:
                # FFmpeg's RTSP client reports a server that never answers as unparsable data.
                raise StreamError("timeout", f"no answer in {waited_s:.0f} s") from exc
            raise stream_error(exc) from exc
        with container:
            if not container.streams.video:
                raise StreamError("no_video_stream", "the stream carries no video track")
            self._on_open()
            try:
                return self._read(container, container.streams.video[0])
            except (av.error.FFmpegError, OSError) as exc:
                raise stream_error(exc) from exc
            finally:
                self._leave_focus()

    def _read(self, container: av.container.InputContainer, stream: av.VideoStream) -> str:
        patrol = stream.codec_context
        patrol.skip_frame = "NONKEY"
        # One decoding thread: patrol decodes a key frame every few seconds, and FFmpeg's
        # own frame threads (cores + 1 per stream) would cost hundreds of threads and their
        # frame buffers at county scale for nothing.
        patrol.thread_count = 1
        if not self._continuous:  # a camera that never patrols sees no shortcut picture
            patrol.options = dict(PATROL_DECODING)
        focus: VideoCodecContext | None = None
        paced = self._policy.pace_files and not _is_network(self._url)
        rate = self.rate = float(stream.average_rate or stream.guessed_rate or 25)
        started, first_t = time.monotonic(), None
        last_confirm_t = last_patrol_t = last_health_t = -1e9
        counted, cpu_at = 0, time.thread_time()
        for packet in container.demux(stream):
            if self._stop.is_set():
                return "stopped"
            if packet.size:
                self.frames += 1
                self.last_packet_at = time.monotonic()
            key = packet.is_keyframe
            if key:
                # Metrics once a key frame: per-packet counting would cost more than it tells.
                now_cpu = time.thread_time()
                self._cpu.inc(now_cpu - cpu_at)
                self._packets.inc(self.frames - counted)
                self._last_packet.set_to_current_time()
                cpu_at, counted = now_cpu, self.frames
                if focus is not None and not self._holds_focus():
                    patrol.skip_frame = "NONKEY"  # the stream's decoder focused itself
                    focus = None
                    self._leave_focus()
            if focus is None:
                # Patrol decodes key frames only, and no more often than patrol_every_s.
                position = self.frames / rate
                if not key or position - last_patrol_t < self._policy.patrol_every_s - 1e-6:
                    continue
                last_patrol_t = position
            for frame in (patrol if focus is None else focus).decode(packet):
                self.frames_decoded += 1
                self._decoded.inc()
                t = frame.time if frame.time is not None else (self.frames - 1) / rate
                first_t = t if first_t is None else first_t
                self.position_s = t - first_t
                if paced:
                    time.sleep(max(0.0, self.position_s - (time.monotonic() - started)))
                image = _bgr(frame) if frame.key_frame else None  # patrol decodes only these
                due = self.position_s - last_health_t >= self._policy.health_every_s - 1e-6
                if image is not None and self._on_key_frame is not None and due:
                    last_health_t = self.position_s
                    self._on_key_frame(image, self.position_s)
                if self._snapshot_request():
                    self._on_finding(Finding(kind=SNAPSHOT, confidence=1.0), _bgr(frame))
                if focus is None:
                    if self._patrol(image if image is not None else _bgr(frame)):
                        # From this key frame on, every frame, decoded in full.
                        focus = _focus_decoder(stream, packet)
                elif t - last_confirm_t >= 1.0 / self._policy.focus_fps - 1e-6:
                    last_confirm_t = t
                    self._confirm(image if image is not None else _bgr(frame))
        return "eof"

    @property
    def duration_s(self) -> float:
        """Seconds of video demuxed so far."""
        return self.frames / self.rate

    @property
    def in_focus(self) -> bool:
        """True while a screen hit or a confirmed finding keeps this camera in focus."""
        return self._focused and self._holds_focus()

    def _holds_focus(self) -> bool:
        if self._continuous:
            return True
        if self._budget is not None and not self._budget.holds(self.camera_id):
            return False  # a higher-priority camera took this one's place
        return self.position_s < self.focus_until or self._focus_request() > 0

    def _patrol(self, image: Frame) -> bool:
        """Screen a patrol key frame; True when the camera goes into focus from it."""
        self._analysed.inc()
        t = self.position_s
        # Every screen runs (no short-circuit): some keep a background model up to date.
        scores = [d.screen(image, t) for d in self._detectors]
        asked = self._focus_request()
        hits = [
            d.kind for d, score in zip(self._detectors, scores, strict=True) if score >= SCREEN_HIT
        ]
        if not (self._continuous or asked > 0 or hits):
            return False
        if not self._continuous and self._budget is not None:
            priority = (
                ASKED_PRIORITY
                if asked > 0
                else max(PRIORITY.get(kind, DEFAULT_PRIORITY) for kind in hits)
            )
            if not self._budget.claim(self.camera_id, priority):
                return False  # waits in patrol; asks again at its next screen hit
        self.focus_until = t + max(self._policy.focus_s, asked)
        self._focused = True
        self._focus_started = t
        CAMERAS_IN_FOCUS.inc()
        return True

    def _confirm(self, image: Frame) -> None:
        self._analysed.inc()
        t = self.position_s
        for detector in self._detectors:
            finding = detector.confirm(image, t)
            if finding is not None:
                self.focus_until = t + self._policy.focus_s
                detector.reset()
                self._on_finding(finding, np.ascontiguousarray(image))
        if any(getattr(d, "watching", False) for d in self._detectors):
            # Something is taking shape that the confirm step may yet confirm (a plume
            # still growing): focus holds a little longer, up to HOLD_FOCUS times focus_s.
            last = self._focus_started + HOLD_FOCUS * self._policy.focus_s
            self.focus_until = max(self.focus_until, min(t + 1.0, last))

    def _leave_focus(self) -> None:
        if self._focused:
            CAMERAS_IN_FOCUS.dec()
            self._focus_seconds.inc(max(0.0, self.position_s - self._focus_started))
            if self._budget is not None:
                self._budget.release(self.camera_id)
        self._focused = False
        self.focus_until = 0.0
        for detector in self._detectors:
            detector.reset()
