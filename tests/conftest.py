"""Shared fixtures: the real services the integration tests talk to.

MQTT: Mosquitto on 127.0.0.1:1883 when it answers, else an embedded amqtt broker (said
loudly; TIANWANG_TEST_EMBEDDED_BROKER=1 forces it). PostgreSQL: 127.0.0.1:5432, user postgres, a throw-away database per test; a
missing server skips with the service named. RTSP: the GStreamer simulator; missing, the
RTSP tests skip with the reason. 一网管: the stand-in receiver on a free port.
"""

import asyncio
import contextlib
import os
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.seed import load_devices, read_devices
from config.mqtt import MqttSettings
from config.settings import SAMPLE_DIR
from incidents.versions import Publication
from simulator.clips import Scene, ensure_clip
from simulator.ports import free_port
from simulator.receiver import ReceivedEvents, create_receiver
from simulator.rtsp import rtsp_server_problem
from tianwang.broker import broker_answers
from tianwang.cli import app
from tianwang.migrate import upgrade

SECRET = "whsec_dGlhbndhbmctdGVzdC1zZWNyZXQtMzItYnl0ZXMhIQ=="
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CLIP_FPS = 10


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder and SQLite registry of this test's own, for CLI commands."""
    monkeypatch.setenv("TIANWANG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TIANWANG_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}")
    return tmp_path


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``tianwang ARGS`` in-process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
async def mqtt() -> AsyncIterator[MqttSettings]:
    """Broker settings with a topic prefix and client id of this test's own."""
    tag = uuid.uuid4().hex[:10]
    base = {"client_id": f"tw-test-{tag}", "topic_prefix": f"tianwang-test-{tag}/v1"}
    forced = os.environ.get("TIANWANG_TEST_EMBEDDED_BROKER") == "1"
    if not forced and await broker_answers("127.0.0.1", 1883):
        yield MqttSettings(host="127.0.0.1", port=1883, embedded="never", **base)
        return
    warnings.warn(
        "SERVICE MISSING: no Mosquitto at 127.0.0.1:1883; using the embedded amqtt broker",
        stacklevel=1,
    )
    from tianwang.broker import mqtt_broker

    settings = MqttSettings(host="127.0.0.1", port=free_port(), embedded="always", **base)
    async with mqtt_broker(settings):
        yield settings  # embedded="always" tells a test it runs on amqtt


@contextlib.asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A new PostgreSQL database, dropped afterwards; skips loudly without the server."""
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"SERVICE MISSING: PostgreSQL at 127.0.0.1:5432 (user postgres): {exc}")
    name = f"tianwang_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database URL for one test."""
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite database holding the Dejiang places and the demo's devices."""
    eng = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'tianwang.db'}")
    await upgrade(eng)
    await load_places(eng, read_places(SAMPLE_DIR / "dejiang_places.yaml"))
    await load_devices(eng, read_devices(SAMPLE_DIR / "dejiang_demo.yaml"), "520626")
    yield eng
    await eng.dispose()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, ReceivedEvents]]:
    """The stand-in 一网管 on a free port: (events URL, what it received)."""
    store = ReceivedEvents()
    async with serve_app(create_receiver(SECRET, store), "127.0.0.1", 0) as url:
        yield f"{url}/events", store


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[Scene, Path]:
    """One 10 s clip of each scene, rendered once per test session."""
    folder = tmp_path_factory.mktemp("clips")
    return {scene: ensure_clip(scene, folder, fps=CLIP_FPS, seed=7) for scene in Scene}


@pytest.fixture
async def rtsp_ready() -> None:
    """Skip, naming the service, when the GStreamer RTSP server cannot run here."""
    problem = await asyncio.to_thread(rtsp_server_problem)
    if problem is not None:
        pytest.skip(f"SERVICE MISSING: GStreamer RTSP server: {problem}")


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The same migrated registry (Dejiang places, demo devices) on SQLite and on PostgreSQL."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'tianwang.db'}"
        else:
            url = await stack.enter_async_context(fresh_pg_database())
        eng = open_engine(url)
        stack.push_async_callback(eng.dispose)
        await upgrade(eng)
        await load_places(eng, read_places(SAMPLE_DIR / "dejiang_places.yaml"))
        await load_devices(eng, read_devices(SAMPLE_DIR / "dejiang_demo.yaml"), "520626")
        yield eng


PUB = Publication("urn:tianwang:test", "Test", "520626")
"""How test incidents are stamped (CAP status Test)."""
