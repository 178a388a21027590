"""A camera's life in the service: open, read, fail, back off, open again, until cancelled.

The blocking PyAV session runs in a thread of its own (one slow camera never delays
another); this coroutine owns the reconnect policy and hands Detections to the sink on
the event loop.
"""

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from detectors.frame_api import Frame, FrameDetector
from detectors.model import SNAPSHOT, Detection, Finding
from ingest.backoff import Backoff
from ingest.camera_health import HealthChange, PictureHealth
from ingest.camera_session import CameraSession, SessionPolicy
from ingest.focus_budget import FocusBudget
from ingest.freed_memory import release_freed_memory
from ingest.host_wake import HostWake, host_of
from ingest.main_stream import MainStreamGrabber
from ingest.metrics import RECONNECTS, STREAM_CONNECTS, STREAM_FAILURES
from ingest.rtsp_probe import probe_rtsp
from ingest.snapshot_store import load_reference, save_reference, write_snapshot
from ingest.stream_errors import StreamError

log = logging.getLogger(__name__)

SESSION_NICE = 5
"""Niceness a camera session thread takes on Linux (the event loop's thread keeps 0)."""


def yield_cpu() -> None:
    """Lower this thread's CPU priority (Linux: niceness per thread) to ``SESSION_NICE``.

    A worker runs a session thread per streaming camera beside one event-loop thread. The
    scheduler shares the cores per thread, so while the key frames of a hundred cameras were
    decoded and screened together the loop got a hundredth of them: it ran 1 to 9.6 s late
    although its process held the GIL under 30 % of the time (py-spy, bench county, session
    8), and lease renewals missed the lease. Raising niceness needs no privilege.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SESSION_NICE)


DetectionSink = Callable[[Detection], None]
"""Takes a Detection on the event loop's thread; must not block (e.g. Queue.put_nowait)."""
StatusSink = Callable[[str, str, str | None], Awaitable[None]]
"""Awaited with (camera_id, status, reason) when a camera's status changes, in order.

Status is "online", "offline" (reason: why the last connect failed) or a picture fault
of ``ingest.camera_health.FAULTS`` ("covered", "frozen", "blurred", "moved"; reason: what
was measured); back to "online" once the stream and its picture are normal again."""

OFFLINE_AFTER_FAILURES = 3
HEALTHY_SESSION_S = 30.0


def _settle(future: asyncio.Future[str], result: str) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[str], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class CameraWorker:
    """Keeps one camera's stream read and analysed; ``run()`` until cancelled."""

    def __init__(
        self,
        camera_id: str,
        url: str,
        detectors: Sequence[FrameDetector],
        sink: DetectionSink,
        policy: SessionPolicy,
        backoff: Backoff,
        snapshot_dir: Path,
        on_status: StatusSink | None = None,
        health: PictureHealth | None = None,
        offline_after: int = OFFLINE_AFTER_FAILURES,
        budget: FocusBudget | None = None,
        main_stream: MainStreamGrabber | None = None,
        wake: HostWake | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._wake = wake
        """Shared with the cameras of other hosts: ends a back-off when the host answers."""
        self._host = host_of(url)
        self._main_stream = main_stream
        """Fetches a main-stream picture for each confirmed detection (None: sub-stream only)."""
        self._fetching: set[asyncio.Task[None]] = set()
        self._budget = budget
        self._reconnects = RECONNECTS.labels(camera_id)
        self._url = url
        self._detectors = detectors
        self._sink = sink
        self._policy = policy
        self._backoff = backoff
        self._snapshot_dir = snapshot_dir
        self._on_status = on_status
        self.health = health
        """Checks decoded key frames for picture faults; kept across sessions (baseline)."""
        self._offline_after = offline_after
        self._fault_reason: dict[str, str] = {}
        self._status_lock = asyncio.Lock()
        self._status_tasks: set[asyncio.Task[None]] = set()
        self._opened = False
        self.status = "unknown"
        self.last_failure: StreamError | None = None
        self.focus_requested_until = 0.0
        self._snapshot_wanted = False
        """Monotonic time until which someone (a sensor alarm, an operator) wants focus."""

    def request_focus(self, seconds: float, *, snapshot: bool = False) -> None:
        """Ask for focus (every frame analysed) for ``seconds`` from the next key frame on;
        with ``snapshot``, also for the next picture as evidence."""
        self.focus_requested_until = max(self.focus_requested_until, time.monotonic() + seconds)
        self._snapshot_wanted = self._snapshot_wanted or snapshot

    def _take_snapshot_request(self) -> bool:
        wanted, self._snapshot_wanted = self._snapshot_wanted, False
        return wanted

    async def run(self) -> None:
        """Read, reconnect with backoff on failure, report status changes; until cancelled."""
        failures = 0
        if self.health is not None and self.health.reference_view is None:
            kept = await asyncio.to_thread(load_reference, self._snapshot_dir, self.camera_id)
            if kept is not None:  # its features found off the loop: ORB takes a while
                await asyncio.to_thread(self.health.set_reference, kept)
        while True:
            started = time.monotonic()
            self._opened = False
            try:
                ended = await self._session()
                failures = 0
                self._reconnects.inc()
                STREAM_FAILURES.labels("ended").inc()
                log.warning("camera %s: stream ended (%s), reopening", self.camera_id, ended)
            except StreamError as exc:
                self._reconnects.inc()
                # Failures in a row: a stream that opened and then broke counts as the first.
                failures = 1 if self._opened else failures + 1
                self.last_failure = exc
                STREAM_FAILURES.labels(exc.reason).inc()
                log.warning(
                    "camera %s: stream failed, reason=%s (%s), attempt %d",
                    self.camera_id,
                    exc.reason,
                    exc.detail,
                    failures,
                )
                if failures >= self._offline_after:
                    await self._set_status("offline", exc.reason)
            if time.monotonic() - started >= HEALTHY_SESSION_S:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            if self._wake is None:
                await asyncio.sleep(delay)
            elif await self._wake.sleep(self._host, delay):
                log.info("camera %s: its server answers again, retrying now", self.camera_id)
                # The server is up: a failure now is a busy moment, retried soon (the
                # back-off grows again from its start), not after the outage's long waits.
                self._backoff.reset()

    async def _session(self) -> str:
        asked_at = time.monotonic()
        await probe_rtsp(self._url, self._policy.open_timeout_s)  # no thread for nobody
        probed_s = time.monotonic() - asked_at
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        opened: asyncio.Future[str] = loop.create_future()
        done: asyncio.Future[str] = loop.create_future()
        # A session that ends after we stopped waiting (cancelled) settles `done` unread.
        done.add_done_callback(lambda f: None if f.cancelled() else f.exception())

        def to_loop(callback: Callable[[], object]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed while we finished
                loop.call_soon_threadsafe(callback)

        def on_finding(finding: Finding, frame: Frame) -> None:
            detection = self._detection(finding, frame)
            to_loop(lambda: self._sink(detection))
            if finding.kind != SNAPSHOT and self._main_stream is not None:
                to_loop(partial(self._fetch_main_picture, finding.kind))

        def on_key_frame(image: Frame, t: float) -> None:
            assert self.health is not None
            had_reference = self.health.reference_view is not None
            changes = self.health.observe(image, t)
            if not had_reference and self.health.reference_view is not None:
                save_reference(self._snapshot_dir, self.camera_id, self.health.reference_view)
            if changes:
                to_loop(partial(self._picture_changed, changes))

        sessions: list[CameraSession] = []

        def target() -> None:
            yield_cpu()
            session = CameraSession(
                self.camera_id,
                self._url,
                self._detectors,
                self._policy,
                on_finding,
                stop,
                on_open=lambda: to_loop(partial(_settle, opened, "opened")),
                focus_request=lambda: max(0.0, self.focus_requested_until - time.monotonic()),
                snapshot_request=self._take_snapshot_request,
                on_key_frame=None if self.health is None else on_key_frame,
                budget=self._budget,
            )
            sessions.append(session)
            if self.health is not None:
                self.health.restart()
            try:
                to_loop(partial(_settle, done, session.run()))
            except BaseException as exc:  # handed to the loop, raised there
                to_loop(partial(_fail, done, exc))
            finally:
                release_freed_memory()

        thread = threading.Thread(target=target, name=f"camera-{self.camera_id}", daemon=True)
        thread.start()
        try:
            await asyncio.wait([opened, done], return_when=asyncio.FIRST_COMPLETED)
            if opened.done():
                self._opened = True
                STREAM_CONNECTS.inc()
                log.info(
                    "camera %s: stream open in %.1f s (the server answered in %.1f s)",
                    self.camera_id,
                    time.monotonic() - asked_at,
                    probed_s,
                )
                if self._wake is not None:
                    self._wake.answered(self._host)
                await self._set_status(*self._picture_status())
            while not done.done():  # the stall watchdog
                await asyncio.wait([done], timeout=min(1.0, self._policy.stall_s / 2))
                quiet_s = time.monotonic() - sessions[0].last_packet_at if sessions else 0.0
                if not done.done() and quiet_s > self._policy.stall_s:
                    stop.set()
                    await asyncio.wait([done], timeout=self._policy.read_timeout_s + 1.0)
                    raise StreamError("stalled", f"no video packet for {quiet_s:.0f} s")
            return await asyncio.shield(done)
        finally:
            stop.set()
            if not done.done():
                # Cancelled: let the thread see `stop` (bounded by the read timeout). Its end
                # is awaited on `done`, not by a thread.join in the default executor: a
                # county's worker stops hundreds of cameras at once, and as many joins of up
                # to read_timeout_s each would hold that executor's few threads (six on two
                # cores) while every camera starting meanwhile waits behind them.
                await asyncio.wait([done], timeout=self._policy.read_timeout_s + 1.0)

    def _detection(self, finding: Finding, frame: Frame) -> Detection:
        """Runs in the session thread: store the snapshot, name the camera."""
        at = datetime.now(UTC)
        return Detection(
            kind=finding.kind,
            source_kind="camera",
            source_id=self.camera_id,
            at=at,
            confidence=finding.confidence,
            box=finding.box,
            snapshot=write_snapshot(self._snapshot_dir, self.camera_id, finding.kind, at, frame),
            attributes=finding.attributes,
        )

    def _fetch_main_picture(self, kind: str) -> None:
        """On the loop: fetch the main stream's picture for a ``kind`` detection, if due."""
        if self._main_stream is None or not self._main_stream.due():
            return
        task = asyncio.create_task(self._main_picture(self._main_stream, kind))
        self._fetching.add(task)
        task.add_done_callback(self._fetching.discard)

    async def _main_picture(self, grabber: MainStreamGrabber, kind: str) -> None:
        frame = await grabber.grab()
        if frame is None:
            return
        at = datetime.now(UTC)
        path = await asyncio.to_thread(
            write_snapshot, self._snapshot_dir, self.camera_id, f"{kind}-main", at, frame
        )
        if path is not None:
            self._sink(
                Detection(
                    SNAPSHOT, "camera", self.camera_id, at, 1.0, snapshot=path, evidence_for=kind
                )
            )

    def _picture_status(self) -> tuple[str, str | None]:
        """ "online", or the most telling picture fault raised now, with what was measured."""
        faults = self.health.faults if self.health is not None else []
        if not faults:
            return "online", None
        return faults[0], self._fault_reason.get(faults[0])

    def _picture_changed(self, changes: list[HealthChange]) -> None:
        """On the loop: the health checker raised or cleared faults; report the new status."""
        for change in changes:
            log.warning("camera %s: picture %s: %s", self.camera_id, change.fault, change.detail)
            if change.active:
                self._fault_reason[change.fault] = change.detail
        if self.status == "offline":
            return  # the stream reopening reports the picture's status
        task = asyncio.create_task(self._set_status(*self._picture_status()))
        self._status_tasks.add(task)
        task.add_done_callback(self._status_tasks.discard)

    async def _set_status(self, status: str, reason: str | None) -> None:
        async with self._status_lock:  # sinks see the changes in the order they happened
            if status == self.status:
                return
            self.status = status
            if self._on_status is not None:
                await self._on_status(self.camera_id, status, reason)
