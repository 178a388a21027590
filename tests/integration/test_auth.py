"""Access: users, tokens, sessions with CSRF, roles per route, grid scope, login throttle."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from api.app import create_app
from api.auth_model import Role
from api.auth_schema import api_tokens, user_sessions, users
from api.auth_store import add_user, issue_token, revoke_user, token_for
from config.auth import AuthSettings
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.schema import incident_transitions
from tests.conftest import PUB

pytestmark = pytest.mark.integration

PASSWORD = "longer-than-10"
GRID_BGY = "520626001002007"  # cam-bgy-01's grid
GRID_NMY = "520626001001003"  # cam-nmy-01's grid
PUBLIC = {("GET", "/healthz"), ("POST", "/api/v1/auth/login"), ("GET", "/")}


@pytest.fixture
async def app_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(engine, "520626", auth=AuthSettings(login_max_failures=3))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://tianwang"
    ) as http:
        yield http


async def two_fires(engine: AsyncEngine) -> tuple[str, str]:
    """(incident in 碧桂园's grid, incident in 楠木园's grid)."""
    recorder = IncidentEngine(engine, PUB)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    bgy = await recorder.record(Detection("fire", "camera", "cam-bgy-01", at, 0.9))
    nmy = await recorder.record(Detection("fire", "camera", "cam-nmy-01", at, 0.8))
    assert bgy is not None and nmy is not None
    return bgy.incident_id, nmy.incident_id


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_route_refuses_anonymous_callers_except_the_public_few(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    paths = create_app(engine).openapi()["paths"]  # every HTTP route the app declares
    checked = 0
    for template, operations in paths.items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        for method in operations:
            if (method.upper(), template) in PUBLIC:
                continue
            answer = await app_client.request(method.upper(), path, json={})
            assert answer.status_code == 401, (method, template, answer.text)
            checked += 1
    assert checked >= 20
    assert (await app_client.get("/healthz")).status_code == 200


async def test_roles_are_enforced_per_route(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    bgy, _ = await two_fires(engine)
    viewer = bearer(await token_for(engine, "v1", Role.viewer))
    inventory = bearer(await token_for(engine, "inv1", Role.inventory))
    operator = bearer(await token_for(engine, "op1", Role.operator))
    worker = bearer(await token_for_worker(engine))
    step = {"to": "acknowledged"}
    assert (await app_client.get("/api/v1/incidents", headers=viewer)).status_code == 200
    url = f"/api/v1/incidents/{bgy}/transitions"
    assert (await app_client.post(url, json=step, headers=viewer)).status_code == 403
    assert (await app_client.post(url, json=step, headers=inventory)).status_code == 403
    assert (await app_client.get("/api/v1/deliveries", headers=inventory)).status_code == 403
    assert (await app_client.get("/api/v1/cameras/export.csv", headers=worker)).status_code == 403
    assert (await app_client.get("/api/v1/fleet/health", headers=worker)).status_code == 403
    assert (await app_client.get("/api/v1/fleet/health", headers=inventory)).status_code == 200
    camera = {"name": "改名"}
    assert (
        await app_client.patch("/api/v1/cameras/cam-bgy-01", json=camera, headers=operator)
    ).status_code == 403
    assert (
        await app_client.patch("/api/v1/cameras/cam-bgy-01", json=camera, headers=inventory)
    ).status_code == 200
    answer = await app_client.post(url, json=step | {"actor": "someone-else"}, headers=operator)
    assert answer.status_code == 201 and answer.json()["status"] == "acknowledged"
    async with engine.connect() as conn:
        actors = (
            await conn.execute(
                sa.select(incident_transitions.c.actor).where(
                    incident_transitions.c.incident_id == bgy,
                    incident_transitions.c.to_status == "acknowledged",
                )
            )
        ).scalars()
        assert list(actors) == ["op1"]  # the logged-in user, not what the body claims


async def token_for_worker(engine: AsyncEngine, user: str = "gw-bgy") -> str:
    await add_user(engine, user, Role.grid_worker, grids=[GRID_BGY])
    return await issue_token(engine, user)


async def test_a_grid_worker_never_sees_or_moves_another_grids_incident(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    bgy, nmy = await two_fires(engine)
    worker = bearer(await token_for_worker(engine))
    listed = await app_client.get("/api/v1/incidents", headers=worker)
    assert [i["id"] for i in listed.json()] == [bgy] and listed.headers["X-Total-Count"] == "1"
    other = await app_client.get("/api/v1/incidents", params={"grid": GRID_NMY}, headers=worker)
    assert other.json() == []
    assert (await app_client.get(f"/api/v1/incidents/{nmy}", headers=worker)).status_code == 404
    assert (await app_client.get(f"/api/v1/incidents/{bgy}", headers=worker)).status_code == 200
    moved = await app_client.post(
        f"/api/v1/incidents/{nmy}/transitions", json={"to": "on_site"}, headers=worker
    )
    assert moved.status_code == 404
    ack = await app_client.post(
        f"/api/v1/incidents/{bgy}/transitions", json={"to": "acknowledged"}, headers=worker
    )
    assert ack.status_code == 403  # a grid worker says on site and resolved, no more
    on_site = await app_client.post(
        f"/api/v1/incidents/{bgy}/transitions",
        json={"to": "on_site", "note": "到场"},
        headers=worker,
    )
    assert on_site.status_code == 201 and on_site.json()["status"] == "on_site"


async def test_tokens_are_stored_hashed_and_die_with_their_user(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    token = await token_for(engine, "op1", Role.operator)
    secret = token.split("_", 2)[2]
    async with engine.connect() as conn:
        stored = [tuple(r) for r in (await conn.execute(sa.select(api_tokens))).all()]
    assert stored and secret not in repr(stored) and token not in repr(stored)
    assert (await app_client.get("/api/v1/auth/me", headers=bearer(token))).json()["user"] == "op1"
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await app_client.get("/api/v1/incidents", headers=bearer(forged))).status_code == 401
    await revoke_user(engine, "op1")
    assert (await app_client.get("/api/v1/incidents", headers=bearer(token))).status_code == 401


async def test_a_browser_session_has_strict_httponly_cookies_and_needs_csrf_to_change_things(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    bgy, _ = await two_fires(engine)
    await add_user(engine, "op1", Role.operator, password=PASSWORD)
    login = await app_client.post(
        "/api/v1/auth/login", json={"username": "op1", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    cookies = {c.split("=", 1)[0]: c.lower() for c in login.headers.get_list("set-cookie")}
    session, csrf_cookie = cookies["tw_session"], cookies["tw_csrf"]
    for cookie in (session, csrf_cookie):
        assert "samesite=strict" in cookie and "secure" in cookie and "path=/" in cookie
    assert "httponly" in session and "httponly" not in csrf_cookie
    csrf = login.json()["csrf_token"]
    assert app_client.cookies["tw_csrf"] == csrf
    async with engine.connect() as conn:
        stored = repr([tuple(r) for r in (await conn.execute(sa.select(user_sessions))).all()])
        hashes = repr([tuple(r) for r in (await conn.execute(sa.select(users))).all()])
    assert app_client.cookies["tw_session"] not in stored and PASSWORD not in hashes

    assert (await app_client.get("/api/v1/incidents")).status_code == 200
    url = f"/api/v1/incidents/{bgy}/transitions"
    step = {"to": "acknowledged"}
    assert (await app_client.post(url, json=step)).status_code == 403  # no CSRF header
    wrong = {"X-CSRF-Token": "forged"}
    assert (await app_client.post(url, json=step, headers=wrong)).status_code == 403
    done = await app_client.post(url, json=step, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201

    out = await app_client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert (await app_client.get("/api/v1/incidents")).status_code == 401


async def test_login_is_refused_with_429_after_repeated_failures_even_with_the_right_password(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await add_user(engine, "op1", Role.operator, password=PASSWORD)
    for _ in range(3):
        wrong = await app_client.post(
            "/api/v1/auth/login", json={"username": "op1", "password": "nope-nope-nope"}
        )
        assert wrong.status_code == 401
    right = await app_client.post(
        "/api/v1/auth/login", json={"username": "op1", "password": PASSWORD}
    )
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    unknown = await app_client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD}
    )
    assert unknown.status_code == 401


async def test_a_revoked_users_session_ends(
    app_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await add_user(engine, "op1", Role.operator, password=PASSWORD)
    login = await app_client.post(
        "/api/v1/auth/login", json={"username": "op1", "password": PASSWORD}
    )
    assert login.status_code == 200
    assert (await app_client.get("/api/v1/auth/me")).status_code == 200
    await revoke_user(engine, "op1")
    assert (await app_client.get("/api/v1/auth/me")).status_code == 401
    again = await app_client.post(
        "/api/v1/auth/login", json={"username": "op1", "password": PASSWORD}
    )
    assert again.status_code == 401


def test_users_add_list_revoke_through_the_cli(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tianwang.cli import app

    monkeypatch.setenv("TIANWANG_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "gw1",
            "--role",
            "grid_worker",
            "--grid",
            GRID_BGY,
            "--no-password",
            "--token",
        ],
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().startswith("tw_")
    refused = runner.invoke(app, ["users", "add", "gw2", "--role", "grid_worker", "--no-password"])
    assert refused.exit_code == 2 and "needs --grid" in refused.output
    bad_grid = runner.invoke(
        app, ["users", "add", "gw3", "--role", "grid_worker", "--grid", "nope", "--no-password"]
    )
    assert bad_grid.exit_code == 2 and "unknown grid" in bad_grid.output
    op = runner.invoke(
        app,
        ["users", "add", "op1", "--role", "operator", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert op.exit_code == 0, op.output
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0
    assert PASSWORD not in listed.stdout and "scrypt" not in listed.stdout
    assert '"id": "gw1"' in listed.stdout and f'"grids": ["{GRID_BGY}"]' in listed.stdout
    assert runner.invoke(app, ["users", "revoke", "op1"]).exit_code == 0
    after = runner.invoke(app, ["users", "list"]).stdout.splitlines()
    assert [line.split("\t")[:3] for line in after] == [
        ["gw1", "grid_worker", "active"],
        ["op1", "operator", "REVOKED"],
    ]
    assert runner.invoke(app, ["users", "revoke", "op1"]).exit_code == 2
