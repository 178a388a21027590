"""Schemathesis against the app's own OpenAPI: no 5xx and no answer outside the schema.

The app runs for real (uvicorn, migrated SQLite with the Dejiang places and devices, an
incident with its deliveries) in a thread of its own, and schemathesis generates requests
for every operation from /openapi.json: once as an admin (who may do everything, so the
requests reach the handlers) and once anonymously (every answer must still be documented).
"""

import asyncio
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from api.server import serve_app
from camera_registry.database import open_engine
from camera_registry.place_seed import load_places, read_places
from camera_registry.seed import load_devices, read_devices
from config.auth import AuthSettings
from config.settings import SAMPLE_DIR
from detectors.model import Detection
from incidents.engine import IncidentEngine
from tests.conftest import PUB
from tianwang.migrate import upgrade

pytestmark = pytest.mark.integration

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = settings(
    # 15 per operation in `make test`; TIANWANG_SCHEMATHESIS_EXAMPLES=200 for a deeper run.
    max_examples=int(os.environ.get("TIANWANG_SCHEMATHESIS_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@dataclass(frozen=True)
class Served:
    """The running app: its base URL and an admin's API token."""

    url: str
    admin_token: str


async def _serve(
    folder: Path, ready: "queue.Queue[Served | BaseException]", stop: threading.Event
) -> None:
    engine = open_engine(f"sqlite+aiosqlite:///{folder / 'tianwang.db'}")
    try:
        await upgrade(engine)
        await load_places(engine, read_places(SAMPLE_DIR / "dejiang_places.yaml"))
        await load_devices(engine, read_devices(SAMPLE_DIR / "dejiang_demo.yaml"), "520626")
        token = await token_for(engine, "contract-admin", Role.admin)
        await IncidentEngine(engine, PUB).record(
            Detection("fire", "camera", "cam-bgy-01", datetime.now(UTC), 0.9)
        )
        app = create_app(engine, snapshot_dir=folder, auth=AuthSettings(login_max_failures=5))
        async with serve_app(app, "127.0.0.1", 0) as url:
            ready.put(Served(url, token))
            while not stop.is_set():
                await asyncio.sleep(0.05)
    except BaseException as exc:  # tell the waiting test, not only this thread
        ready.put(exc)
        raise
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    ready: queue.Queue[Served | BaseException] = queue.Queue()
    stop = threading.Event()
    folder = tmp_path_factory.mktemp("contract")
    thread = threading.Thread(target=lambda: asyncio.run(_serve(folder, ready, stop)), daemon=True)
    thread.start()
    started = ready.get(timeout=60)
    if isinstance(started, BaseException):
        raise started
    yield started
    stop.set()
    thread.join(timeout=30)


# The app's own description, as /openapi.json serves it (the engine is never connected here).
schema = schemathesis.openapi.from_dict(create_app(open_engine("sqlite+aiosqlite://")).openapi())


@schema.parametrize()
@EXAMPLES
def test_the_api_answers_an_admin_within_its_schema(
    case: schemathesis.Case, served: Served
) -> None:
    case.call_and_validate(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.admin_token}"},
        checks=CHECKS,
        timeout=30,
    )


@schema.parametrize()
@EXAMPLES
def test_the_api_answers_an_anonymous_caller_within_its_schema(
    case: schemathesis.Case, served: Served
) -> None:
    case.call_and_validate(base_url=served.url, checks=CHECKS, timeout=30)
