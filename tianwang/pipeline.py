"""The composition root of the running service: ingest → detectors → incidents → outbox.

Ingest is handed a sink for Detections and Readings; it never imports incidents. The
incident engine and the publisher share the database with the registry.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.queries import list_cameras, list_sensors, open_url, set_camera_status
from config.settings import Settings
from detectors import sensor_rules
from detectors.fire import FireDetector, FireParams
from detectors.frame_api import FrameDetector
from detectors.model import Detection, Reading
from incidents.engine import IncidentEngine
from incidents.publisher import OutboxPublisher, outbox_count
from ingest.backoff import Backoff
from ingest.camera_session import SessionPolicy
from ingest.camera_worker import CameraWorker
from ingest.sensors import SensorConsumer
from tianwang.supervise import supervise

log = logging.getLogger(__name__)


def frame_detectors(settings: Settings) -> list[FrameDetector]:
    """The frame detectors one camera runs, each with its own state."""
    fire = settings.detectors.fire
    found: list[FrameDetector] = []
    if fire.enabled:
        found.append(FireDetector(FireParams(**fire.model_dump(exclude={"enabled"}))))
    return found


class Pipeline:
    """Every camera worker, the sensor consumer, the incident engine and the publisher."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.detections: asyncio.Queue[Detection] = asyncio.Queue()
        self.incidents = IncidentEngine(engine, settings.delivery.source)
        self.workers: list[CameraWorker] = []
        self.sensors: SensorConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Pipeline":
        s = self.settings
        self._http = httpx.AsyncClient()
        publisher = OutboxPublisher(self.engine, s.delivery, self._http)
        self._spawn("incidents", self._record_detections)
        self._spawn("publisher", publisher.run)
        known_sensors = {sensor.id for sensor in await list_sensors(self.engine)}
        self.sensors = SensorConsumer(s.mqtt, self._on_reading, known_sensors.__contains__)
        self._spawn("sensors", self.sensors.run)
        policy = SessionPolicy(
            transport=s.ingest.rtsp_transport,
            open_timeout_s=s.ingest.open_timeout_s,
            read_timeout_s=s.ingest.read_timeout_s,
            focus_fps=s.ingest.focus_fps,
            focus_s=s.ingest.focus_s,
        )
        for camera in await list_cameras(self.engine, enabled_only=True):
            if not camera.stream_url:
                log.warning("camera %s has no stream URL in the registry; not watched", camera.id)
                continue
            worker = CameraWorker(
                camera.id,
                await open_url(self.engine, camera.id),
                frame_detectors(s),
                self.detections.put_nowait,
                policy,
                Backoff(s.ingest.reconnect_initial_s, s.ingest.reconnect_max_s),
                Path(s.data_dir) / "snapshots",
                on_status=self._on_camera_status,
            )
            self.workers.append(worker)
            self._spawn(f"camera {camera.id}", worker.run)
        log.info("pipeline: %d cameras, %d sensors", len(self.workers), len(known_sensors))
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

    async def _on_reading(self, reading: Reading) -> None:
        for detection in sensor_rules.evaluate(reading):
            self.detections.put_nowait(detection)

    async def _on_camera_status(self, camera_id: str, status: str, reason: str | None) -> None:
        log.info("camera %s is %s%s", camera_id, status, f" ({reason})" if reason else "")
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            await set_camera_status(self.engine, camera_id, status, reason)  # type: ignore[arg-type]

    async def _record_detections(self) -> None:
        while True:
            detection = await self.detections.get()
            backoff = Backoff(0.2, 10.0)
            while True:  # a detection is never dropped because the database hiccuped
                try:
                    await self.incidents.record(detection)
                    break
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
