"""Camera workers' status changes, into the register and the health incidents, in batches.

Every worker's changes go through one queue and one writer task, in the order they
happened. When the county's cameras change at once (a whole RTSP server down, hundreds of
unreachable cameras found at start-up) the writer takes what has queued up to
``BATCH`` at a time: one transaction for the register's statuses and history, then each
changed camera's health incident. A statement costs a round trip to the database thread,
and in a process whose camera threads keep the GIL busy each round trip waits its turn:
per camera, the county run managed two or three changes a second.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_model import CameraStatus
from camera_registry.camera_store import set_camera_statuses
from detectors.model import Detection
from incidents.camera_health import resolve_cameras_health
from incidents.versions import Publication

log = logging.getLogger(__name__)

BATCH = 200
"""Status changes written in one transaction, at most."""
WRITE_TRIES = 5
REGISTRY_STATUS: dict[str, CameraStatus] = {"blurred": "degraded"}
"""Worker statuses the register has no word of its own for (the reason says which)."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One camera worker's word: the camera is now ``status`` (reason: why)."""

    camera_id: str
    status: str
    reason: str | None
    epoch: int = 0

    @property
    def registry_status(self) -> CameraStatus:
        """The register's word for ``status``."""
        return REGISTRY_STATUS.get(self.status, self.status)  # type: ignore[arg-type]

    @property
    def registry_reason(self) -> str | None:
        """The reason as stored: prefixed with the worker's word when the register has none."""
        if self.status in REGISTRY_STATUS:
            return f"{self.status}: {self.reason}"
        return self.reason


Admits = Callable[[str, str, int], Awaitable[bool]]
"""(source kind, source id, epoch) -> whether this worker still holds the camera."""
Records = Callable[[Detection], Awaitable[None]]
"""Records one detection into the incidents (retrying until stored)."""


class CameraStatuses:
    """The register's statuses and the health incidents of every camera in this process.

    "online" resolves every health incident of the camera; "offline" resolves none (the
    picture is unknown while it is away); a picture fault resolves the others. A change
    the register already shows (a worker that took the camera over, or restarted, says it
    again) writes nothing; a worker that lost the camera's lease changes nothing.
    """

    def __init__(
        self, engine: AsyncEngine, publication: Publication, admits: Admits, record: Records
    ) -> None:
        self._engine = engine
        self._publication = publication
        self._admits = admits
        self._record = record
        self._queue: asyncio.Queue[StatusChange] = asyncio.Queue()

    def put(self, change: StatusChange) -> None:
        """Queue ``change`` for the writer task (``run``)."""
        self._queue.put_nowait(change)

    @property
    def queued(self) -> int:
        """Changes waiting to be written."""
        return self._queue.qsize()

    async def run(self) -> None:
        """The writer task: write what is queued, a batch at a time, until cancelled."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self.write(batch)

    async def write(self, changes: list[StatusChange]) -> None:
        """Write ``changes`` in order (a camera named twice: its changes one after the other)."""
        run: list[StatusChange] = []
        in_run: set[str] = set()
        for change in changes:
            if change.camera_id in in_run:
                await self._write_run(run)
                run, in_run = [], set()
            run.append(change)
            in_run.add(change.camera_id)
        await self._write_run(run)

    async def _write_run(self, run: list[StatusChange]) -> None:
        """Changes of distinct cameras: one register transaction, then their incidents."""
        admitted = []
        for change in run:
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # unreadable: _record checks again
                if not await self._admits("camera", change.camera_id, change.epoch):
                    continue
            admitted.append(change)
        started = time.monotonic()
        stored = await self._store(admitted)
        stored_s = time.monotonic() - started
        changed = [c for c in admitted if c.camera_id in stored]
        for change in changed:
            log.info(
                "camera %s is %s%s",
                change.camera_id,
                change.status,
                f" ({change.reason})" if change.reason else "",
            )
        # What recovered ends its other health incidents, found and resolved as a batch.
        await resolve_cameras_health(
            self._engine,
            {c.camera_id: _kept(c.status) for c in changed if c.status != "offline"},
            self._publication,
        )
        resolved_s = time.monotonic() - started - stored_s
        for change in changed:
            if change.status != "online":
                await self._record(
                    Detection(
                        f"camera.{change.status}",
                        "camera",
                        change.camera_id,
                        datetime.now(UTC),
                        1.0,
                        epoch=change.epoch,
                    )
                )
        log.info(
            "camera statuses: %d of %d changed, written in %.1f s (register %.1f s, "
            "incidents closed %.1f s, opened %.1f s; %d more queued)",
            len(changed),
            len(run),
            time.monotonic() - started,
            stored_s,
            resolved_s,
            time.monotonic() - started - stored_s - resolved_s,
            self.queued,
        )

    async def _store(self, changes: list[StatusChange]) -> set[str]:
        rows = [(c.camera_id, c.registry_status, c.registry_reason) for c in changes]
        for attempt in range(WRITE_TRIES):  # a busy SQLite writer is worth a retry
            try:
                return await set_camera_statuses(self._engine, rows)
            except sa.exc.SQLAlchemyError as exc:
                log.warning("camera statuses not stored (try %d): %s", attempt + 1, exc)
                await asyncio.sleep(0.2 * 2**attempt)
        # The register could not be written: the incidents still tell the operators.
        return {c.camera_id for c in changes}


def _kept(status: str) -> tuple[str | None, str]:
    """(the health incident a camera now ``status`` keeps open, the note closing the rest)."""
    if status == "online":
        return None, "stream and picture normal again"
    return f"camera.{status}", f"camera is {status}"
