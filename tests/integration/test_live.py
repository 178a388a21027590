"""/api/v1/live: incident changes pushed over a WebSocket, only to those who may see them."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import add_user, issue_token, token_for
from api.server import serve_app
from camera_registry.schema import cameras
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.lifecycle import transition
from tests.conftest import PUB

pytestmark = pytest.mark.integration

GRID_BGY = "520626001002007"


@pytest.fixture
async def base(engine: AsyncEngine) -> AsyncIterator[str]:
    app = create_app(engine, live_interval_s=0.2)
    async with serve_app(app, "127.0.0.1", 0) as url:
        yield url.replace("http://", "ws://")


async def next_push(socket: Any, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            push = json.loads(await socket.recv())
            if push["type"] == kind:
                return dict(push["data"])


async def test_a_new_incident_and_its_acknowledgement_are_pushed(
    base: str, engine: AsyncEngine
) -> None:
    token = await token_for(engine, "op1", Role.operator)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(f"{base}/api/v1/live", additional_headers=headers) as socket:
        hello = json.loads(await socket.recv())
        assert hello == {"type": "hello", "user": "op1", "role": "operator"}
        at = datetime.now(UTC)
        opened = await IncidentEngine(engine, PUB).record(
            Detection("fire", "camera", "cam-bgy-01", at, 0.9)
        )
        assert opened is not None
        pushed = await next_push(socket, "incident")
        assert (pushed["id"], pushed["status"], pushed["grid_id"]) == (
            opened.incident_id,
            "open",
            GRID_BGY,
        )
        await transition(
            engine, opened.incident_id, "acknowledged", actor="op1", note=None, pub=PUB
        )
        pushed = await next_push(socket, "incident")
        assert (pushed["id"], pushed["status"], pushed["version"]) == (
            opened.incident_id,
            "acknowledged",
            2,
        )


async def test_camera_status_changes_reach_operators_but_not_grid_workers(
    base: str, engine: AsyncEngine
) -> None:
    operator = {"Authorization": f"Bearer {await token_for(engine, 'op1', Role.operator)}"}
    await add_user(engine, "gw1", Role.grid_worker, grids=[GRID_BGY])
    worker = {"Authorization": f"Bearer {await issue_token(engine, 'gw1')}"}
    async with (
        websockets.connect(f"{base}/api/v1/live", additional_headers=operator) as op_socket,
        websockets.connect(f"{base}/api/v1/live", additional_headers=worker) as gw_socket,
    ):
        await op_socket.recv()
        await gw_socket.recv()
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(cameras)
                .where(cameras.c.id == "cam-nmy-01")
                .values(status="offline", status_since=datetime.now(UTC))
            )
        recorder = IncidentEngine(engine, PUB)
        at = datetime.now(UTC)
        other = await recorder.record(Detection("fire", "camera", "cam-nmy-01", at, 0.9))
        await asyncio.sleep(0.3)  # a poll apart, so the worker's own grid's incident comes last
        own = await recorder.record(Detection("fire", "camera", "cam-bgy-01", at, 0.9))
        assert other is not None and own is not None
        seen: set[tuple[str, str, str]] = set()
        async with asyncio.timeout(5):
            while len(seen) < 3:
                push = json.loads(await op_socket.recv())
                seen.add((push["type"], push["data"]["id"], push["data"]["status"]))
        assert seen == {
            ("camera", "cam-nmy-01", "offline"),
            ("incident", other.incident_id, "open"),
            ("incident", own.incident_id, "open"),
        }
        first = json.loads(await asyncio.wait_for(gw_socket.recv(), 5))
        assert first["type"] == "incident" and first["data"]["id"] == own.incident_id


async def test_anonymous_and_cross_site_sockets_are_refused(base: str, engine: AsyncEngine) -> None:
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(f"{base}/api/v1/live") as socket:
            await socket.recv()
    token = await token_for(engine, "op1", Role.operator)
    headers = {"Authorization": f"Bearer {token}"}
    with pytest.raises(websockets.exceptions.WebSocketException):
        async with websockets.connect(
            f"{base}/api/v1/live", additional_headers=headers, origin="https://evil.example"
        ) as socket:
            await socket.recv()
