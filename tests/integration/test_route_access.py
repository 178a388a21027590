"""Every state-changing route, enumerated from ``app.routes``, refuses anonymous callers,
and a browser session without its CSRF token; /metrics wants a fleet reader's token."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import RouteContext, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import add_user, issue_token, token_for
from config.auth import AuthSettings

pytestmark = pytest.mark.integration

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN = "/api/v1/auth/login"
PASSWORD = "longer-than-10"


@pytest.fixture
async def app_and_client(
    engine: AsyncEngine,
) -> AsyncIterator[tuple[list[RouteContext], httpx.AsyncClient]]:
    app = create_app(engine, auth=AuthSettings(login_max_failures=1000))
    # Every route, those of included routers too (FastAPI resolves those lazily).
    routes = [r for r in iter_route_contexts(app.routes) if (r.methods or set()) & MUTATING]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://tianwang"
    ) as http:
        yield routes, http


def concrete(path: str) -> str:
    """A route's path with a real camera id and made-up values for the other parameters."""
    return re.sub(r"\{[^}]+\}", lambda m: "cam-bgy-01" if "camera" in m.group() else "x", path)


async def test_every_mutating_route_refuses_an_anonymous_caller(
    app_and_client: tuple[list[RouteContext], httpx.AsyncClient],
) -> None:
    routes, http = app_and_client
    checked = []
    for route in routes:
        for method in sorted((route.methods or set()) & MUTATING):
            answer = await http.request(method, concrete(str(route.path)), json={})
            if route.path == LOGIN:  # the way in: refuses whoever cannot log in
                answer = await http.post(LOGIN, json={"username": "nobody", "password": "wrong"})
            assert answer.status_code in (401, 403), (method, route.path, answer.text)
            checked.append(f"{method} {route.path}")
    # The routes this console added must be among them, so the enumeration is not vacuous.
    assert "POST /api/v1/cameras/{camera_id}/webrtc" in checked
    assert "DELETE /api/v1/cameras/{camera_id}/webrtc/{session}" in checked
    assert "POST /api/v1/incidents/{incident_id}/transitions" in checked
    assert len(checked) >= 10


async def test_every_mutating_route_refuses_a_session_without_its_csrf_token(
    app_and_client: tuple[list[RouteContext], httpx.AsyncClient], engine: AsyncEngine
) -> None:
    routes, http = app_and_client
    await add_user(engine, "adm", Role.admin, password=PASSWORD)
    logged_in = await http.post(LOGIN, json={"username": "adm", "password": PASSWORD})
    assert logged_in.status_code == 200 and "tw_session" in http.cookies
    for route in routes:
        if route.path == LOGIN:
            continue
        for method in sorted((route.methods or set()) & MUTATING):
            answer = await http.request(method, concrete(str(route.path)), json={})
            assert answer.status_code == 403, (method, route.path, answer.text)
            assert "X-CSRF-Token" in answer.json()["detail"]


async def test_metrics_want_a_fleet_readers_token_and_count_the_api(
    app_and_client: tuple[list[RouteContext], httpx.AsyncClient], engine: AsyncEngine
) -> None:
    _, http = app_and_client
    assert (await http.get("/metrics")).status_code == 401
    await add_user(engine, "gw", Role.grid_worker, grids=["520626001002007"])
    worker = await issue_token(engine, "gw")
    assert (
        await http.get("/metrics", headers={"Authorization": f"Bearer {worker}"})
    ).status_code == 403
    reader = {"Authorization": f"Bearer {await token_for(engine, 'prom', Role.viewer)}"}
    await http.get("/api/v1/incidents", headers=reader)
    metrics = await http.get("/metrics", headers=reader)
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert (
        'tianwang_api_requests_total{method="GET",route="/api/v1/incidents",status="200"}' in text
    )
    assert (
        'tianwang_api_request_seconds_bucket{le="0.005",method="GET",route="/api/v1/incidents"}'
        in text
    )
    assert 'tianwang_cameras_by_status{status="unknown"} 4.0' in text  # from the database
    for family in (
        "tianwang_ingest_",
        "tianwang_incidents_",
        "tianwang_delivery_",
        "tianwang_sensor_",
    ):
        assert f"# TYPE {family}" in text, family


async def test_the_api_description_is_public(
    app_and_client: tuple[list[RouteContext], httpx.AsyncClient],
) -> None:
    _, http = app_and_client
    spec = await http.get("/openapi.json")
    assert spec.status_code == 200 and "/api/v1/cameras/{camera_id}/webrtc" in spec.json()["paths"]
    assert (await http.get("/docs")).status_code == 200
