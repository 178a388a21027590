"""`tianwang demo`: the whole path on one machine, with simulated cameras and sensors.

RTSP simulator (GStreamer) → ingest → fire detector → incident → outbox → the stand-in
一网管 receiver; a simulated smoke sensor alarms over MQTT. Runs on a fresh database in
``{data_dir}/demo`` every time, so its summary speaks of this run only.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from api.auth_model import Role
from api.auth_store import add_user
from api.server import serve_app
from camera_registry.camera_store import set_stream_url
from camera_registry.seed import DevicesFile, read_devices
from config.mqtt import MqttSettings
from config.settings import SAMPLE_DIR, Settings
from incidents.publisher import incidents_delivered
from incidents.schema import incidents
from ingest.metrics import FRAMES_ANALYSED, READINGS
from ingest.sensors import broker_client
from simulator.clips import Scene, ensure_clip
from simulator.receiver import create_receiver
from simulator.rtsp import RtspSimulator
from simulator.sensor_fleet import SimulatedSensor, run_fleet
from tianwang.broker import mqtt_broker
from tianwang.pipeline import Pipeline
from tianwang.service import api_app, prepared_engine

log = logging.getLogger(__name__)

SENSOR_ALARM_AT_S = 5.0
DEMO_DEVICES = SAMPLE_DIR / "dejiang_demo.yaml"
DEMO_USER = "demo"
CLIP_FPS = 10


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """The demo's last line."""

    cameras: int
    frames_analysed: int
    readings: int
    incidents: int
    delivered: int


def counter_total(counter: Counter) -> float:
    """The sum of a counter over all its label values."""
    return sum(
        sample.value
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def _serve_on(
    stack: contextlib.AsyncExitStack, app: ASGIApp, host: str, port: int, what: str
) -> str:
    """Serve on the configured port, or on a free one if that is taken (and say so)."""
    try:
        return await stack.enter_async_context(serve_app(app, host, port))
    except OSError as exc:
        log.warning("%s: port %d is taken (%s); using a free port instead", what, port, exc)
        return await stack.enter_async_context(serve_app(app, host, 0))


async def _clips(seed: DevicesFile, folder: Path) -> dict[str, Path]:
    scenes = {c.id: (Scene(c.simulate), i) for i, c in enumerate(seed.cameras) if c.simulate}
    return {
        camera_id: await asyncio.to_thread(ensure_clip, scene, folder, fps=CLIP_FPS, seed=i)
        for camera_id, (scene, i) in scenes.items()
    }


def demo_mqtt(mqtt: MqttSettings) -> MqttSettings:
    """The broker settings for one demo run: a client id and share group of its own and a
    short session. A broker keeps a persistent session in its shared group after the client
    left and goes on handing it its share of the messages (Mosquitto 2.0 does), so a run
    that reused the service's names would lose alarms to an earlier run's session."""
    run = uuid.uuid4().hex[:8]
    return mqtt.model_copy(
        update={
            "client_id": f"{mqtt.client_id}-demo-{run}",
            "shared_group": f"demo-{run}" if mqtt.shared_group else None,
            "session_expiry_s": 60,
        }
    )


async def run_demo(settings: Settings, seconds: float | None) -> DemoSummary:
    """Run everything for ``seconds`` (None: until cancelled) and summarise the run."""
    demo_dir = Path(settings.data_dir) / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    devices_file = settings.seed_file or DEMO_DEVICES
    seed = read_devices(devices_file)
    demo_db = f"sqlite+aiosqlite:///{(demo_dir / 'tianwang.db').resolve()}"
    engine = await prepared_engine(
        settings.model_copy(update={"database_url": demo_db}), devices_file
    )
    frames_before, readings_before = counter_total(FRAMES_ANALYSED), counter_total(READINGS)
    try:
        clips = await _clips(seed, Path(settings.data_dir) / "clips")
        async with contextlib.AsyncExitStack() as stack:
            broker = await stack.enter_async_context(mqtt_broker(settings.mqtt))
            rtsp = await stack.enter_async_context(
                RtspSimulator(clips, fps=CLIP_FPS, fallback_to_files=True)
            )
            for camera_id in clips:
                await set_stream_url(engine, camera_id, rtsp.url(camera_id))
            secret = settings.delivery.secret.get_secret_value()
            receiver = create_receiver(secret)
            receiver_url = await _serve_on(
                stack, receiver, settings.receiver.host, settings.receiver.port, "receiver"
            )
            run_settings = settings.model_copy(
                update={
                    "data_dir": demo_dir,
                    "mqtt": demo_mqtt(settings.mqtt),
                    "delivery": settings.delivery.model_copy(
                        update={"endpoint": f"{receiver_url}/events", "cap_status": "Exercise"}
                    ),
                }
            )
            api = api_app(engine, run_settings)
            api_url = await _serve_on(stack, api, settings.api.host, settings.api.port, "api")
            pipeline = await stack.enter_async_context(Pipeline(run_settings, engine))
            assert pipeline.sensors is not None
            await asyncio.wait_for(pipeline.sensors.ready.wait(), 15)
            client = await stack.enter_async_context(broker_client(settings.mqtt, "simulator"))
            fleet = [
                SimulatedSensor(s.id, s.kind, SENSOR_ALARM_AT_S if s.simulate == "alarm" else None)
                for s in seed.sensors
            ]
            fleet_task = asyncio.create_task(run_fleet(client, settings.mqtt.topic_prefix, fleet))
            stack.push_async_callback(_cancel, fleet_task)
            password = secrets.token_urlsafe(9)
            await add_user(engine, DEMO_USER, Role.admin, display_name="演示", password=password)
            log.info(
                "demo running: console %s/console/ (user %s, password %s), API %s (docs %s/docs), "
                "一网管 receiver %s/events, MQTT %s broker at %s:%d, video %s",
                api_url,
                DEMO_USER,
                password,
                api_url,
                api_url,
                receiver_url,
                broker,
                settings.mqtt.host,
                settings.mqtt.port,
                rtsp.mode,
            )
            if seconds is None:
                await asyncio.Event().wait()  # until Ctrl-C cancels us
            else:
                await asyncio.sleep(seconds)
            await pipeline.drained(timeout_s=10)
        return await _summary(engine, len(seed.cameras), frames_before, readings_before)
    finally:
        await engine.dispose()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _summary(
    engine: AsyncEngine, cameras: int, frames0: float, readings0: float
) -> DemoSummary:
    async with engine.connect() as conn:
        opened = (
            await conn.execute(sa.select(sa.func.count()).select_from(incidents))
        ).scalar_one()
    delivered = await incidents_delivered(engine)
    return DemoSummary(
        cameras=cameras,
        frames_analysed=int(counter_total(FRAMES_ANALYSED) - frames0),
        readings=int(counter_total(READINGS) - readings0),
        incidents=int(opened),
        delivered=int(delivered),
    )


def summary_json(summary: DemoSummary) -> str:
    """The one-line JSON the demo prints last."""
    return json.dumps(asdict(summary))
