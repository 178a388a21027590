"""/api/v1/live: a WebSocket that pushes incident and camera-health changes as they happen.

One poller per app reads the incidents and cameras tables every ``interval_s`` (cheap: the
open incidents and one status column) and fans each change out to the connected clients
that may see it. A client loads the queue over REST after the ``hello`` and applies the
pushes on top, so it misses nothing in between.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import authenticate
from api.auth_model import Principal
from api.auth_policy import FLEET_READERS, INCIDENT_READERS
from camera_registry.schema import cameras
from incidents.schema import incidents

log = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

INCIDENT_FIELDS = (
    "id",
    "type",
    "status",
    "severity",
    "certainty",
    "version",
    "source_kind",
    "source_id",
    "site_id",
    "grid_id",
    "opened_at",
    "last_seen_at",
    "status_changed_at",
    "closed_at",
    "escalations",
    "detections",
)
REAUTH_S = 30.0


@dataclass(frozen=True)
class Change:
    """One thing that changed: an incident (its new state) or a camera's status."""

    kind: str  # "incident" or "camera"
    grid_id: str | None
    data: dict[str, Any]

    def message(self) -> dict[str, Any]:
        """The JSON pushed to a client."""
        return {"type": self.kind, "data": self.data}

    def visible_to(self, principal: Principal) -> bool:
        """Whether this principal's role and grids let them see it."""
        readers = INCIDENT_READERS if self.kind == "incident" else FLEET_READERS
        return principal.role in readers and principal.sees_grid(self.grid_id)


def _jsonable(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: row[n].isoformat() if isinstance(row[n], datetime) else row[n] for n in names}


@dataclass
class LiveFeed:
    """Polls for changes while anyone listens; each listener gets its own queue."""

    engine: AsyncEngine
    interval_s: float = 1.0
    queue_size: int = 1000
    _listeners: set[asyncio.Queue[Change | None]] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None
    _starting: asyncio.Lock = field(default_factory=asyncio.Lock)
    _incidents: dict[str, tuple[Any, ...]] | None = None
    _cameras: dict[str, tuple[Any, ...]] | None = None

    async def poll_once(self) -> list[Change]:
        """The changes since the last poll (the first poll only takes the baseline)."""
        changes: list[Change] = []
        known = self._incidents
        where: sa.ColumnElement[bool] = incidents.c.closed_at.is_(None)
        if known:
            where = sa.or_(where, incidents.c.id.in_(sorted(known)))
        cols = [incidents.c[n] for n in INCIDENT_FIELDS]
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(*cols).where(where))).mappings().all()
            camera_rows = (
                (
                    await conn.execute(
                        sa.select(
                            cameras.c.id,
                            cameras.c.grid_id,
                            cameras.c.status,
                            cameras.c.status_since,
                            cameras.c.status_reason,
                        )
                    )
                )
                .mappings()
                .all()
            )
        seen: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            mark = (row["version"], row["status"], row["detections"], row["escalations"])
            if row["closed_at"] is None:
                seen[row["id"]] = mark
            if known is not None and known.get(row["id"]) != mark:
                changes.append(Change("incident", row["grid_id"], _jsonable(row, INCIDENT_FIELDS)))
        self._incidents = seen
        camera_marks = {r["id"]: (r["status"], r["status_since"]) for r in camera_rows}
        if self._cameras is not None:
            names = ("id", "grid_id", "status", "status_since", "status_reason")
            changes.extend(
                Change("camera", r["grid_id"], _jsonable(r, names))
                for r in camera_rows
                if self._cameras.get(r["id"]) != camera_marks[r["id"]]
            )
        self._cameras = camera_marks
        return changes

    async def _run(self) -> None:
        while True:
            try:
                changes = await self.poll_once()
            except Exception:  # a database hiccup must not end the feed
                log.exception("live feed poll failed")
                changes = []
            for listener in list(self._listeners):
                for change in changes:
                    try:
                        listener.put_nowait(change)
                    except asyncio.QueueFull:  # a stuck client is dropped and reloads
                        self._listeners.discard(listener)
                        while not listener.empty():
                            listener.get_nowait()
                        listener.put_nowait(None)
                        break
            await asyncio.sleep(self.interval_s)

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[Change | None]]:
        """A queue of changes (None: you fell behind, reload); polls while anyone listens."""
        queue: asyncio.Queue[Change | None] = asyncio.Queue(self.queue_size)
        async with self._starting:  # two first listeners at once start one poller
            if self._task is None or self._task.done():
                self._incidents = self._cameras = None
                await self.poll_once()  # baseline before the listener's REST load
                self._task = asyncio.create_task(self._run(), name="live-feed")
            self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)
            if not self._listeners and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send Origin on a WebSocket handshake; a foreign page must not ride a cookie."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (a token client)
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    """Pushes ``{"type": "incident"|"camera", "data": {...}}`` the caller's role may see."""
    principal = await authenticate(websocket)
    if principal is None or not _same_origin(websocket):
        await websocket.close(code=4401 if principal is None else 4403)
        return
    feed: LiveFeed = websocket.app.state.live_feed
    await websocket.accept()
    async with feed.listen() as queue:
        await websocket.send_json(
            {"type": "hello", "user": principal.user_id, "role": principal.role.value}
        )
        reader = asyncio.create_task(_until_closed(websocket))
        try:
            while not reader.done():
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, reader}, timeout=REAUTH_S, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    if not done and await authenticate(websocket) is None:
                        await websocket.close(code=4401)  # revoked or logged out meanwhile
                        return
                    continue
                change = getter.result()
                if change is None:
                    await websocket.close(code=1013)
                    return
                if change.visible_to(principal):
                    await websocket.send_json(change.message())
        except WebSocketDisconnect:
            pass
        finally:
            reader.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
