"""The composition root of the running service: ingest → detectors → incidents → outbox.

Ingest is handed a sink for Detections and Readings; it never imports incidents. The
incident engine and the publisher share the database with the registry.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_model import CameraStatus
from camera_registry.camera_store import CameraFilter, list_cameras, open_url, set_camera_status
from camera_registry.sensor_store import list_sensors, touch_sensors
from config.settings import Settings
from detectors.analytics_config import AnalyticsConfig
from detectors.fire import FireDetector, FireParams
from detectors.frame_api import FrameDetector
from detectors.model import Detection, Reading
from detectors.sanitation import DumpingDetector, DumpingParams
from detectors.sensor_rules import RuleParams, SensorRules
from detectors.smoke import SmokeDetector, SmokeParams
from detectors.static_objects import DualBackground
from detectors.traffic import TrafficDetector, TrafficParams
from incidents.engine import ACTIVE_STATUSES, IncidentEngine, Timings
from incidents.lifecycle import IncidentNotFound, TransitionRefused, transition
from incidents.publisher import OutboxPublisher, outbox_count
from incidents.schema import incidents as incidents_table
from incidents.versions import Publication
from ingest.backoff import Backoff
from ingest.camera_health import HealthParams, PictureHealth
from ingest.camera_session import SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.dead_letters import DeadLetters
from ingest.focus_budget import FocusBudget
from ingest.sensor_profiles import ProfileSet
from ingest.sensors import SensorConsumer
from ingest.snapshot_store import prune_snapshots
from tianwang.supervise import supervise

log = logging.getLogger(__name__)

HEARTBEAT_CHECK_S = 10.0
SENSOR_REGISTER_S = 30.0
SNAPSHOT_RETENTION_S = 3600.0
"""How often the pipeline re-reads the sensor register and stores when each sensor last spoke."""
REGISTRY_STATUS: dict[str, CameraStatus] = {"blurred": "degraded"}
"""Worker statuses the register has no word of its own for (the reason says which)."""


def health_params(settings: Settings) -> HealthParams:
    """The picture health thresholds from the settings."""
    return HealthParams(**settings.ingest.health.model_dump(exclude={"offline_after_failures"}))


def frame_detectors(
    settings: Settings, analytics: AnalyticsConfig | None = None
) -> list[FrameDetector]:
    """The frame detectors one camera runs, each with its own state.

    Fire and smoke look at the whole picture minus the camera's mask zones; traffic and
    sanitation run only when the camera's analytics config gives them lines or zones.
    """
    config = analytics or AnalyticsConfig()
    d = settings.detectors
    found: list[FrameDetector] = []
    if d.fire.enabled:
        found.append(FireDetector(FireParams(**d.fire.model_dump(exclude={"enabled"})), config))
    if d.smoke.enabled:
        found.append(SmokeDetector(SmokeParams(**d.smoke.model_dump(exclude={"enabled"})), config))
    background = DualBackground()  # one long/short-term model per camera, shared
    traffic_params = TrafficParams(**d.traffic.model_dump(exclude={"enabled"}))
    traffic = TrafficDetector(config, traffic_params, background)
    if d.traffic.enabled and traffic.continuous:
        found.append(traffic)
    if d.sanitation.enabled and config.zones_of("sanitation"):
        params = DumpingParams(**d.sanitation.model_dump(exclude={"enabled"}))
        found.append(DumpingDetector(config, params, background))
    return found


def session_policy(settings: Settings) -> SessionPolicy:
    """How the service opens and samples each camera's stream, from the settings."""
    i = settings.ingest
    return SessionPolicy(
        transport=i.rtsp_transport,
        open_timeout_s=i.open_timeout_s,
        read_timeout_s=i.read_timeout_s,
        focus_fps=i.focus_fps,
        focus_s=i.focus_s,
        patrol_every_s=i.patrol_every_s,
        health_every_s=i.health_every_s,
        stall_s=i.stall_s,
    )


def publication(settings: Settings) -> Publication:
    """How this deployment stamps its messages."""
    return Publication(settings.delivery.source, settings.delivery.cap_status, settings.county_code)


def analytics_of(camera_id: str, stored: dict[str, Any] | None) -> AnalyticsConfig | None:
    """A camera's analytics config from the registry; a stored one that no longer validates
    is logged and ignored (fire and smoke still run on the whole picture)."""
    if not stored:
        return None
    try:
        return AnalyticsConfig.model_validate(stored)
    except ValidationError as exc:
        log.error("camera %s: analytics config ignored, it does not validate: %s", camera_id, exc)
        return None


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


class Pipeline:
    """Every camera worker, the sensor consumer, the incident engine and the publisher."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.detections: asyncio.Queue[Detection] = asyncio.Queue()
        self.incidents = IncidentEngine(
            engine,
            publication(settings),
            timings=timings(settings),
            snapshot_url=snapshot_url(settings),
            focus=self._focus,
        )
        self.sensor_rules = SensorRules(RuleParams(**settings.sensors.rules.model_dump()))
        self.workers: list[CameraWorker] = []
        self.focus_budget = FocusBudget(settings.ingest.focus_budget)
        self.sensors: SensorConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self._known_sensors: set[str] = set()
        self._last_seen: dict[str, datetime] = {}

    async def __aenter__(self) -> "Pipeline":
        s = self.settings
        self._http = httpx.AsyncClient()
        publisher = OutboxPublisher(self.engine, s.delivery, self._http, s.mqtt)
        self._spawn("incidents", self._record_detections)
        self._spawn(
            "escalation", lambda: self.incidents.run_escalation(s.incidents.escalation_check_s)
        )
        self._spawn("publisher", publisher.run)
        await self.refresh_sensors()
        dead_letters = DeadLetters(self.engine, max_bytes=s.sensors.dead_letter_max_bytes)
        self.sensors = SensorConsumer(
            s.mqtt,
            self.on_reading,
            self.is_known_sensor,
            profiles=ProfileSet(s.mqtt.topic_prefix, s.sensors.profiles),
            dead_letters=dead_letters,
        )
        self._spawn("dead letters", dead_letters.run)
        self._spawn("sensors", self.sensors.run)
        self._spawn("sensor heartbeats", self._watch_heartbeats)
        self._spawn("sensor register", self._follow_sensor_register)
        self._spawn("snapshot retention", self._keep_snapshots_within_limits)
        policy = session_policy(s)
        watched, _ = await list_cameras(self.engine, CameraFilter(enabled=True))
        for camera in watched:
            if not camera.rtsp_sub:
                log.warning("camera %s has no stream URL in the registry; not watched", camera.id)
                continue
            worker = CameraWorker(
                camera.id,
                await open_url(self.engine, camera.id),
                frame_detectors(s, analytics_of(camera.id, camera.analytics)),
                self.detections.put_nowait,
                policy,
                Backoff(s.ingest.reconnect_initial_s, s.ingest.reconnect_max_s),
                Path(s.data_dir) / "snapshots",
                on_status=self.on_camera_status,
                health=PictureHealth(health_params(s)),
                offline_after=s.ingest.health.offline_after_failures,
                budget=self.focus_budget,
            )
            self.workers.append(worker)
            self._spawn(f"camera {camera.id}", worker.run)
        log.info("pipeline: %d cameras, %d sensors", len(self.workers), len(self._known_sensors))
        return self

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
        if self._http is not None:
            await self._http.aclose()

    def _spawn(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks.append(asyncio.create_task(supervise(name, run), name=name))

    def _focus(self, camera_ids: list[str], seconds: float) -> None:
        wanted = set(camera_ids)
        for worker in self.workers:
            if worker.camera_id in wanted:
                worker.request_focus(seconds, snapshot=True)
        log.info("focus asked for cameras %s for %g s", sorted(wanted), seconds)

    async def refresh_sensors(self) -> None:
        """Take the sensor register as it is now: new sensors known, disabled or removed ones
        unknown (their messages become dead letters), each judged by its own heartbeat
        window and thresholds."""
        live = {s.id: s for s in await list_sensors(self.engine) if s.enabled}
        for gone in self._known_sensors - set(live):
            self.sensor_rules.unwatch(gone)
        for sensor in live.values():
            self.sensor_rules.watch(sensor.id, sensor.heartbeat_s, sensor.thresholds)
        self._known_sensors.clear()
        self._known_sensors.update(live)

    async def _follow_sensor_register(self) -> None:
        while True:
            await asyncio.sleep(SENSOR_REGISTER_S)
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                await self.store_last_seen()
                await self.refresh_sensors()

    async def _keep_snapshots_within_limits(self) -> None:
        i = self.settings.ingest
        folder = Path(self.settings.data_dir) / "snapshots"
        while True:
            pruned = await asyncio.to_thread(
                prune_snapshots,
                folder,
                i.snapshot_keep_days * 86400,
                int(i.snapshot_max_mb * 2**20),
            )
            if pruned.removed:
                log.info(
                    "snapshots: removed %d (%.1f MB); %d kept (%.1f MB)",
                    pruned.removed,
                    pruned.freed_bytes / 2**20,
                    pruned.kept,
                    pruned.kept_bytes / 2**20,
                )
            await asyncio.sleep(SNAPSHOT_RETENTION_S)

    async def store_last_seen(self) -> None:
        """Write when each sensor last spoke (batched: the readings since the last call)."""
        seen, self._last_seen = self._last_seen, {}
        await touch_sensors(self.engine, seen)

    def is_known_sensor(self, sensor_id: str) -> bool:
        """True for an enabled sensor of the register (as last refreshed)."""
        return sensor_id in self._known_sensors

    async def on_reading(self, reading: Reading) -> None:
        """One sensor reading: noted as the sensor's last word, then through the rules."""
        self._last_seen[reading.device_id] = reading.at
        # Committed before returning, so the consumer acknowledges a message only once its
        # detections are stored: a crash in between means a redelivery, never a loss.
        for detection in self.sensor_rules.evaluate(reading):
            await self._record(detection)

    async def _watch_heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_CHECK_S)
            for detection in self.sensor_rules.silent(datetime.now(UTC)):
                await self._record(detection)

    async def on_camera_status(self, camera_id: str, status: str, reason: str | None) -> None:
        """A camera worker's status change: the register's status and history, and a
        ``camera.<status>`` health incident, or the health incidents it ends resolved.

        "online" resolves every health incident of the camera; "offline" resolves none
        (the picture is unknown while it is away); a picture fault resolves the others.
        """
        log.info("camera %s is %s%s", camera_id, status, f" ({reason})" if reason else "")
        registry_status = REGISTRY_STATUS.get(status, status)
        registry_reason = f"{status}: {reason}" if status in REGISTRY_STATUS else reason
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            await set_camera_status(self.engine, camera_id, registry_status, registry_reason)  # type: ignore[arg-type]
        if status != "offline":
            keep = None if status == "online" else f"camera.{status}"
            note = "stream and picture normal again" if keep is None else f"camera is {status}"
            await self._resolve_camera_health(camera_id, keep, note)
        if status != "online":
            at = datetime.now(UTC)
            await self._record(Detection(f"camera.{status}", "camera", camera_id, at, 1.0))

    async def _resolve_camera_health(self, camera_id: str, keep: str | None, note: str) -> None:
        t = incidents_table.c
        query = sa.select(t.id, t.type).where(
            t.place_key == f"camera:{camera_id}",
            t.type.like("camera.%"),
            t.status.in_(ACTIVE_STATUSES),
        )
        try:
            async with self.engine.connect() as conn:
                found = (await conn.execute(query)).all()
            for row in found:
                if row.type == keep:
                    continue
                await transition(
                    self.engine,
                    row.id,
                    "resolved",
                    actor="tianwang",
                    note=note,
                    pub=self.incidents.publication,
                )
                log.info("incident %s (%s) resolved: %s", row.id, row.type, note)
        except (sa.exc.SQLAlchemyError, TransitionRefused, IncidentNotFound) as exc:
            log.error("camera %s: could not resolve its health incidents: %s", camera_id, exc)

    async def _record_detections(self) -> None:
        while True:
            await self._record(await self.detections.get())

    async def _record(self, detection: Detection) -> None:
        backoff = Backoff(0.2, 10.0)
        while True:  # a detection is never dropped because the database hiccuped
            try:
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
