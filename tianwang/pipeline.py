"""The composition root of the running service: ingest → detectors → incidents → outbox.

Ingest is handed a sink for Detections and Readings; it never imports incidents. The
incident engine and the publisher share the database with the registry.
"""

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_model import CameraRecord
from camera_registry.camera_store import (
    CameraFilter,
    get_camera,
    list_cameras,
    open_url,
)
from camera_registry.lease_keeper import LeaseKeeper
from camera_registry.leases import Lease, LeaseStore
from config.settings import Settings
from detectors.model import Detection, Reading
from detectors.sensor_rules import RuleParams, SensorRules
from incidents.engine import IncidentEngine, Timings
from incidents.publisher import OutboxPublisher, outbox_count
from incidents.publisher_lock import while_holding
from incidents.versions import Publication
from ingest.backoff import Backoff
from ingest.camera_health import PictureHealth
from ingest.camera_worker import CameraWorker
from ingest.dead_letters import DeadLetters
from ingest.focus_budget import FocusBudget
from ingest.host_wake import HostWake
from ingest.main_stream import GRABS_AT_ONCE, MainStreamGrabber
from ingest.sensor_profiles import ProfileSet
from ingest.sensors import SensorConsumer
from ingest.snapshot_store import keep_snapshots_within_limits
from tianwang.camera_detectors import analytics_of as analytics_of
from tianwang.camera_detectors import frame_detectors as frame_detectors
from tianwang.camera_detectors import health_params as health_params
from tianwang.camera_detectors import session_policy as session_policy
from tianwang.camera_statuses import CameraStatuses, StatusChange
from tianwang.focus_relay import FocusRelay
from tianwang.followed_sensors import FollowedSensors
from tianwang.loop_lag import watch_loop_lag
from tianwang.supervise import supervise

log = logging.getLogger(__name__)

HEARTBEAT_CHECK_S = 10.0
SNAPSHOT_RETENTION_S = 3600.0
SQLITE_LEASE_S = 60.0
"""The shortest camera lease on SQLite (one machine): see ``Pipeline.__aenter__``."""


def publication(settings: Settings) -> Publication:
    """How this deployment stamps its messages."""
    return Publication(settings.delivery.source, settings.delivery.cap_status, settings.county_code)


def timings(settings: Settings) -> Timings:
    """The incident engine's timing rules from the settings."""
    i = settings.incidents
    return Timings(i.fusion_window_s, i.focus_s, dict(i.escalate_s), dict(i.cooldown_s))


def snapshot_url(settings: Settings) -> Callable[[str], str]:
    """Turns a snapshot's file path into the URL the API serves it at."""
    root = (Path(settings.data_dir) / "snapshots").resolve()
    base = settings.public_url or f"http://{settings.api.host}:{settings.api.port}"

    def url(path: str) -> str:
        try:
            return f"{base.rstrip('/')}/api/v1/snapshots/{Path(path).resolve().relative_to(root).as_posix()}"
        except ValueError:
            return path

    return url


@dataclass(frozen=True, slots=True)
class Roles:
    """What one process of the service does.

    ``cameras``: "all" enabled cameras (one process, the embedded default), "leased" (the
    fleet: a share claimed through camera_registry/leases.py) or "none". ``publisher``:
    "always" drain the outbox and run escalations, "locked" only while holding the
    PostgreSQL advisory lock (one publisher in the fleet), or "off".
    """

    cameras: Literal["all", "leased", "none"] = "all"
    sensors: bool = True
    publisher: Literal["always", "locked", "off"] = "always"


class Pipeline:
    """The camera workers, the sensor consumer, the incident engine and the publisher."""

    def __init__(self, settings: Settings, engine: AsyncEngine, roles: Roles = Roles()) -> None:
        self.settings = settings
        self.engine = engine
        self.roles = roles
        self.detections: asyncio.Queue[Detection] = asyncio.Queue()
        self.incidents = IncidentEngine(
            engine,
            publication(settings),
            timings=timings(settings),
            snapshot_url=snapshot_url(settings),
            focus=self._focus,
        )
        self.sensor_rules = SensorRules(RuleParams(**settings.sensors.rules.model_dump()))
        self._cameras: dict[str, tuple[CameraWorker, asyncio.Task[None]]] = {}
        self.focus_budget = FocusBudget(settings.ingest.focus_budget)
        self._main_grabs = asyncio.Semaphore(GRABS_AT_ONCE)
        self.host_wake = HostWake()
        """Cameras behind one server retry together once one of them connects."""
        self.statuses = CameraStatuses(
            engine, self.incidents.publication, self._admitted, self._record
        )
        self.sensors: SensorConsumer | None = None
        self.leases: LeaseKeeper | None = None
        self.relay: FocusRelay | None = None
        """Focus requests to and from the other workers (leased cameras on PostgreSQL)."""
        self._sending: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self.followed_sensors = FollowedSensors(engine, self.sensor_rules)
        self._policy = session_policy(settings)

    @property
    def workers(self) -> list[CameraWorker]:
        """The camera workers running in this process now."""
        return [worker for worker, _ in self._cameras.values()]

    async def __aenter__(self) -> "Pipeline":
        s = self.settings
        self._http = httpx.AsyncClient()
        self._spawn("loop lag", watch_loop_lag)
        self._spawn("incidents", self._record_detections)
        self._spawn("camera statuses", self.statuses.run)
        if self.roles.publisher != "off":
            publisher = OutboxPublisher(self.engine, s.delivery, self._http, s.mqtt)
            escalation = partial(self.incidents.run_escalation, s.incidents.escalation_check_s)

            async def publish() -> None:
                await asyncio.gather(publisher.run(), escalation())

            if self.roles.publisher == "locked":
                key, check_s = s.fleet.publisher_lock_key, s.fleet.renew_s
                self._spawn("publisher", partial(while_holding, self.engine, key, publish, check_s))
            else:
                self._spawn("publisher", publish)
        if self.roles.sensors:
            await self._start_sensors()
        if self.roles.cameras != "none":
            i = s.ingest
            retention = partial(
                keep_snapshots_within_limits,
                Path(s.data_dir) / "snapshots",
                i.snapshot_keep_days * 86400,
                int(i.snapshot_max_mb * 2**20),
                SNAPSHOT_RETENTION_S,
            )
            self._spawn("snapshot retention", retention)
        if self.roles.cameras == "all":
            watched, _ = await list_cameras(self.engine, CameraFilter(enabled=True))
            for camera in watched:
                await self.watch(camera)
        elif self.roles.cameras == "leased":
            f = s.fleet
            # SQLite's writers queue behind one another; at county scale a renewal can wait
            # seconds, and a lease shorter than that makes workers fence themselves.
            sqlite = self.engine.dialect.name == "sqlite"
            lease_s = max(f.lease_s, SQLITE_LEASE_S) if sqlite else f.lease_s
            store = LeaseStore(self.engine, self.worker_name, capacity=f.capacity, lease_s=lease_s)
            self.leases = LeaseKeeper(
                store,
                self._watch_lease,
                self.unwatch,
                renew_s=f.renew_s,
                rebalance_step=f.rebalance_step,
                claim_step=f.claim_step,
            )
            self._spawn("leases", self.leases.run)
            if self.engine.dialect.name == "postgresql":
                self.relay = FocusRelay(self.engine, self.focus_here)
                self._spawn("focus relay", self.relay.run)
        log.info("pipeline: %d cameras, roles %s", len(self._cameras), self.roles)
        return self

    @property
    def worker_name(self) -> str:
        """This worker's name in the fleet (the host name unless configured)."""
        return self.settings.fleet.worker_name or socket.gethostname()

    async def _start_sensors(self) -> None:
        s = self.settings
        await self.followed_sensors.refresh()
        dead_letters = DeadLetters(self.engine, max_bytes=s.sensors.dead_letter_max_bytes)
        self.sensors = SensorConsumer(
            s.mqtt,
            self.on_reading,
            self.followed_sensors.is_known,
            profiles=ProfileSet(s.mqtt.topic_prefix, s.sensors.profiles),
            dead_letters=dead_letters,
        )
        self._spawn("dead letters", dead_letters.run)
        self._spawn("sensors", self.sensors.run)
        self._spawn("sensor heartbeats", self._watch_heartbeats)
        self._spawn("sensor register", self.followed_sensors.follow)
        log.info("pipeline: %d sensors known", len(self.followed_sensors))

    async def watch(self, camera: CameraRecord, epoch: int = 0) -> None:
        """Start analysing one camera here; its detections carry ``epoch`` (its lease's)."""
        s = self.settings
        if not camera.rtsp_sub:
            log.warning("camera %s has no stream URL in the registry; not watched", camera.id)
            return
        if camera.id in self._cameras:
            await self.unwatch(camera.id)

        def sink(detection: Detection) -> None:
            self.detections.put_nowait(dataclasses.replace(detection, epoch=epoch))

        worker = CameraWorker(
            camera.id,
            await open_url(self.engine, camera.id),
            frame_detectors(s, analytics_of(camera.id, camera.analytics)),
            sink,
            self._policy,
            Backoff(s.ingest.reconnect_initial_s, s.ingest.reconnect_max_s),
            Path(s.data_dir) / "snapshots",
            on_status=partial(self._queue_status, epoch=epoch),
            health=PictureHealth(health_params(s)),
            offline_after=s.ingest.health.offline_after_failures,
            budget=self.focus_budget,
            main_stream=await self._main_stream(camera),
            wake=self.host_wake,
        )
        name = f"camera {camera.id}"
        self._cameras[camera.id] = (
            worker,
            asyncio.create_task(supervise(name, worker.run), name=name),
        )

    async def unwatch(self, camera_id: str) -> None:
        """Stop analysing one camera here; returns once its stream is closed."""
        found = self._cameras.pop(camera_id, None)
        if found is not None:
            found[1].cancel()
            await asyncio.gather(found[1], return_exceptions=True)

    async def _watch_lease(self, lease: Lease) -> None:
        try:
            camera = await get_camera(self.engine, lease.camera_id)
        except (sa.exc.SQLAlchemyError, LookupError) as exc:
            log.error("camera %s: leased but not readable: %s", lease.camera_id, exc)
            return
        await self.watch(camera, lease.epoch)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.leases is not None:
            await self.leases.leave()  # stops every camera, then frees the leases
        await asyncio.gather(*(self.unwatch(camera_id) for camera_id in list(self._cameras)))
        if self._http is not None:
            await self._http.aclose()

    def _spawn(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks.append(asyncio.create_task(supervise(name, run), name=name))

    def _focus(self, camera_ids: list[str], seconds: float) -> None:
        self.focus_here(camera_ids, seconds)
        if self.relay is not None:  # the cameras may run on other workers of the fleet
            task = asyncio.create_task(self.relay.send(camera_ids, seconds))
            self._sending.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("focus relay: request not sent: %s", task.exception())

    def focus_here(self, camera_ids: list[str], seconds: float) -> None:
        """Focus (and a snapshot) for those of these cameras that run in this process."""
        here = sorted(set(camera_ids) & set(self._cameras))
        for camera_id in here:
            self._cameras[camera_id][0].request_focus(seconds, snapshot=True)
        if here:
            log.info("focus asked for cameras %s for %g s", here, seconds)

    async def on_reading(self, reading: Reading) -> None:
        """One sensor reading: noted as the sensor's last word, then through the rules."""
        self.followed_sensors.heard(reading)
        # Committed before returning, so the consumer acknowledges a message only once its
        # detections are stored: a crash in between means a redelivery, never a loss.
        for detection in self.sensor_rules.evaluate(reading):
            await self._record(detection)

    async def _watch_heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_CHECK_S)
            for detection in self.sensor_rules.silent(datetime.now(UTC)):
                await self._record(detection)

    async def _main_stream(self, camera: CameraRecord) -> MainStreamGrabber | None:
        """Main-stream pictures for ``camera``'s incidents, when it has a main stream of its own."""
        i = self.settings.ingest
        if not (
            i.main_stream_snapshots and camera.rtsp_main and camera.rtsp_main != camera.rtsp_sub
        ):
            return None
        url = await open_url(self.engine, camera.id, main=True)
        return MainStreamGrabber(
            camera.id,
            url,
            self._main_grabs,
            i.main_stream_cooldown_s,
            i.open_timeout_s,
            i.read_timeout_s,
        )

    async def on_camera_status(
        self, camera_id: str, status: str, reason: str | None, *, epoch: int = 0
    ) -> None:
        """A camera worker's status change, written now (see ``CameraStatuses``)."""
        await self.statuses.write([StatusChange(camera_id, status, reason, epoch)])

    async def _queue_status(
        self, camera_id: str, status: str, reason: str | None, *, epoch: int = 0
    ) -> None:
        self.statuses.put(StatusChange(camera_id, status, reason, epoch))

    async def _record_detections(self) -> None:
        while True:
            await self._record(await self.detections.get())

    async def _admitted(self, source_kind: str, source_id: str, epoch: int) -> bool:
        """Fencing: a camera's detection is recorded only while its lease epoch is ours."""
        if self.leases is None or source_kind != "camera":
            return True
        return await self.leases.admits(source_id, epoch)

    async def _record(self, detection: Detection) -> None:
        backoff = Backoff(0.2, 10.0)
        while True:  # a detection is never dropped because the database hiccuped
            try:
                if not await self._admitted(
                    detection.source_kind, detection.source_id, detection.epoch
                ):
                    return
                await self.incidents.record(detection)
                return
            except sa.exc.SQLAlchemyError as exc:
                log.error("incidents: could not record a %s detection: %s", detection.kind, exc)
                await asyncio.sleep(backoff.next_delay())

    async def drained(self, timeout_s: float) -> bool:
        """Wait until no detection is queued and the outbox holds nothing undelivered."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            pending = await outbox_count(self.engine, delivered=False)
            if pending == 0 and self.detections.empty():
                return True
            await asyncio.sleep(0.2)
        return False
