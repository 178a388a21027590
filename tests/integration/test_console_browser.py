"""The console in real headless Chromium: log in, see an incident arrive live, acknowledge it;
see it on the offline map; open a camera and watch its live view over WebRTC.

Chromium is driven over its DevTools protocol (a WebSocket), so nothing but Debian's
``chromium`` is needed. Set TIANWANG_SCREENSHOTS=DIR to keep the screenshots.
"""

import asyncio
import base64
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import cv2
import httpx
import pytest
import sqlalchemy as sa
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth_model import Role
from api.auth_store import add_user
from api.live_video import LiveVideo
from api.server import serve_app
from camera_registry.camera_store import set_stream_url
from camera_registry.schema import cameras
from config.mqtt import MqttSettings
from config.settings import load_settings
from detectors.model import Detection
from incidents.engine import IncidentEngine
from incidents.schema import incident_transitions, incidents
from ingest.sensors import broker_client
from simulator.clips import Scene
from simulator.receiver import ReceivedEvents
from simulator.rtsp import RtspSimulator
from tests.conftest import CLIP_FPS, PUB, SECRET
from tianwang.pipeline import Pipeline

pytestmark = pytest.mark.integration

CHROMIUM = os.environ.get("TIANWANG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "operator-pass-1"
GRID_BGY = "520626001002007"


class Page:
    """One Chromium tab over the DevTools protocol: evaluate, wait, type, screenshot."""

    def __init__(self, socket: Any) -> None:
        self.socket, self.next_id = socket, 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message["result"])

    async def js(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 10) -> Any:
        try:
            async with asyncio.timeout(seconds):
                while not (value := await self.js(f"!!({expression})")):
                    await asyncio.sleep(0.1)
                return value
        except TimeoutError:
            body = await self.js("document.body.innerText")
            html = await self.js("document.querySelector('#main').innerHTML")
            raise AssertionError(
                f"never true: {expression}\npage: {body[:800]}\n{html[:3000]}"
            ) from None

    async def press_enter_on(self, selector: str) -> None:
        """Focus an element and press Enter on the keyboard, as an operator would."""
        assert await self.js(
            f"(e => (e.focus(), document.activeElement === e))"
            f"(document.querySelector({json.dumps(selector)}))"
        )
        for kind in ("keyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Page]:
    """Headless Chromium with one blank tab; skips loudly when Chromium is missing."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"SERVICE MISSING: Chromium at {CHROMIUM} (apt-get install chromium)")
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1600,1000",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stderr is not None
        async with asyncio.timeout(30):
            while b"DevTools listening on" not in (line := await process.stderr.readline()):
                if not line:
                    raise AssertionError("chromium exited before DevTools listened")
        port = line.decode().split("127.0.0.1:")[1].split("/")[0]
        async with httpx.AsyncClient() as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        async with websockets.connect(page_url, max_size=64 * 1024 * 1024) as socket:
            yield Page(socket)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


@pytest.fixture
async def console(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[str]:
    # default auth: Secure cookies
    app = create_app(engine, live_interval_s=0.5, snapshot_dir=tmp_path / "snapshots")
    async with serve_app(app, "127.0.0.1", 0) as url:
        yield f"{url}/console/"


async def log_in(page: Page, url: str, user: str, password: str) -> None:
    await page.call("Page.navigate", url=url)
    await page.wait_for(
        "document.readyState === 'complete' && !document.querySelector('#login-view').hidden"
    )
    await page.js(
        f"document.querySelector('#login-user').value = {json.dumps(user)};"
        f"document.querySelector('#login-password').value = {json.dumps(password)};"
        "document.querySelector('#login-form').requestSubmit(); true"
    )
    await page.wait_for("document.querySelector('#live').classList.contains('on')")


def snapshot_from(clip: Path, folder: Path, camera_id: str, second: float = 4.0) -> Path:
    """A JPEG of the clip's frame at ``second``, filed as the camera worker files them."""
    with av.open(str(clip)) as container:
        frames = container.decode(video=0)
        for _ in range(int(second * CLIP_FPS)):
            next(frames)
        picture = next(frames).to_ndarray(format="bgr24")
    path = folder / camera_id / "20260101T000000000000-fire.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), picture)
    return path


async def test_an_operator_sees_an_incident_arrive_live_and_acknowledges_it_by_keyboard(
    console: str, engine: AsyncEngine, tmp_path: Path, clips: dict[Scene, Path]
) -> None:
    snapshots = tmp_path / "snapshots"
    shot = snapshot_from(clips[Scene.FIRE], snapshots, "cam-bgy-01")
    recorder = IncidentEngine(
        engine,
        PUB,
        snapshot_url=lambda p: f"/api/v1/snapshots/{Path(p).relative_to(snapshots).as_posix()}",
    )
    shots = Path(os.environ.get("TIANWANG_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    await add_user(engine, "op1", Role.operator, display_name="值班员 张", password=PASSWORD)
    async with chromium(tmp_path / "profile") as page:
        await log_in(page, console, "op1", PASSWORD)
        assert await page.js("document.documentElement.lang") == "zh-CN"
        assert await page.js("document.cookie.includes('tw_session')") is False  # HttpOnly
        await page.js("window.__sameDocument = true")
        opened = await recorder.record(
            Detection("fire", "camera", "cam-bgy-01", datetime.now(UTC), 0.9, snapshot=str(shot))
        )
        assert opened is not None
        row = f'tr[data-incident="{opened.incident_id}"]'
        await page.wait_for(f"document.querySelector('{row}')")
        assert await page.js("window.__sameDocument") is True  # it came without a reload
        cells = await page.js(f"[...document.querySelectorAll('{row} td')].map(c => c.innerText)")
        assert cells[0] == "严重" and cells[1] == "明火" and cells[4] == "待处理"
        assert "碧桂园" in cells[2] or "cam-bgy-01" in cells[2]
        await page.screenshot(shots / "queue-arrived.png")

        await page.press_enter_on(f'{row} button[data-step="acknowledged"]')
        await page.wait_for(f"document.querySelector('{row} td.status').innerText === '已确认'")
        async with engine.connect() as conn:
            status = (
                await conn.execute(
                    sa.select(incidents.c.status).where(incidents.c.id == opened.incident_id)
                )
            ).scalar_one()
            actors = (
                (
                    await conn.execute(
                        sa.select(incident_transitions.c.actor).where(
                            incident_transitions.c.incident_id == opened.incident_id,
                            incident_transitions.c.to_status == "acknowledged",
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert status == "acknowledged" and actors == ["op1"]

        await page.js(f"location.hash = '#/incident/{opened.incident_id}'; true")
        await page.wait_for("document.querySelectorAll('#detail-view .timeline li').length === 2")
        dot = f'#incident-map [data-incident-dot="{opened.incident_id}"]'
        # A live push may redraw the page meanwhile, so each check waits for a settled map.
        await page.wait_for(f"document.querySelector('{dot}.focus')")  # ringed on the map
        await page.wait_for(  # every grid with points, drawn offline
            "(a => a.includes('" + GRID_BGY + "') && a.length >= 3)([...document.querySelectorAll("
            "'#incident-map .grid-area')].map(g => g.dataset.grid))"
        )
        await page.wait_for(  # the incident sits inside its grid's area
            f"(() => {{ const d = document.querySelector('{dot} rect');"
            f" const g = document.querySelector('#incident-map [data-grid=\"{GRID_BGY}\"] polygon');"
            " if (!d || !g) return false; const r = d.getBoundingClientRect();"
            " const p = g.ownerSVGElement.createSVGPoint();"
            " p.x = r.x + r.width / 2; p.y = r.y + r.height / 2;"
            " return g.isPointInFill(p.matrixTransform(g.getScreenCTM().inverse())); })()"
        )
        await page.wait_for(
            "document.querySelector('#detail-view figure img')?.naturalWidth > 0"
        )  # the snapshot, served to the session
        await page.wait_for(f"document.querySelector('{dot}.focus')")
        await page.screenshot(shots / "incident.png")

        await page.js("location.hash = '#/health'; true")
        await page.wait_for("document.querySelectorAll('#health-view .cam').length === 4")
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(cameras)
                .where(cameras.c.id == "cam-nmy-01")
                .values(status="offline", status_since=datetime.now(UTC))
            )
        tile = "document.querySelector('[data-camera=\"cam-nmy-01\"]')"
        await page.wait_for(f"{tile}.classList.contains('st-offline')")  # pushed, not reloaded
        await page.wait_for(f"{tile}.textContent.endsWith('离线')")  # says so, not just red
        await page.wait_for(  # and the counts follow
            "document.querySelector('#health-view .counts').innerText.includes('离线 1')"
        )
        await page.wait_for(f"{tile}.classList.contains('st-offline')")
        await page.screenshot(shots / "health.png")

        await page.js("location.hash = '#/map'; true")
        await page.wait_for(
            f"document.querySelector('#map-view [data-incident-dot=\"{opened.incident_id}\"]')"
        )
        offline = await page.js(
            "document.querySelector('#map-view [data-camera-dot=\"cam-nmy-01\"] circle')"
            ".classList.contains('st-offline')"
        )
        assert offline is True
        await page.screenshot(shots / "map.png")

        await page.js("document.querySelector('#lang').click(); true")
        await page.wait_for("document.documentElement.lang === 'en'")
        await page.wait_for("document.body.innerText.includes('Incident map')")


async def test_a_grid_worker_does_not_see_another_grids_incident_in_the_console(
    console: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    await add_user(engine, "gw1", Role.grid_worker, password=PASSWORD, grids=[GRID_BGY])
    recorder = IncidentEngine(engine, PUB)
    now = datetime.now(UTC)
    own = await recorder.record(Detection("fire", "camera", "cam-bgy-01", now, 0.9))
    other = await recorder.record(Detection("fire", "camera", "cam-nmy-01", now, 0.9))
    assert own is not None and other is not None
    async with chromium(tmp_path / "profile") as page:
        await log_in(page, console, "gw1", PASSWORD)
        await page.wait_for(f"document.querySelector('tr[data-incident=\"{own.incident_id}\"]')")
        assert await page.js(
            f"!document.querySelector('tr[data-incident=\"{other.incident_id}\"]')"
        )
        steps = await page.js(
            f"[...document.querySelectorAll('tr[data-incident=\"{own.incident_id}\"] button')]"
            ".map(b => b.dataset.step)"
        )
        assert steps == ["on_site", "resolved"]
        assert await page.js("document.querySelector('#nav-health').hidden") is True
        await page.js(f"location.hash = '#/incident/{other.incident_id}'; true")
        await page.wait_for("document.querySelector('#detail-view .error')")  # 404 to them
        await page.js("location.hash = '#/map'; true")
        await page.wait_for("document.querySelector('#map-view svg')")
        grids = await page.js(
            "[...document.querySelectorAll('#map-view .grid-area')].map(g => g.dataset.grid)"
        )
        assert grids == [GRID_BGY]
        dots = await page.js(
            "[...document.querySelectorAll('#map-view [data-incident-dot]')]"
            ".map(d => d.dataset.incidentDot)"
        )
        assert dots == [own.incident_id]
        await page.js("location.hash = '#/camera/cam-nmy-01'; true")
        await page.wait_for("document.querySelector('#camera-view .error')")
        assert not await page.js("!!document.querySelector('#live-video')")


async def test_a_sensor_alarm_published_over_mqtt_appears_live_and_is_acknowledged(
    console: str,
    engine: AsyncEngine,
    mqtt: MqttSettings,
    receiver: tuple[str, ReceivedEvents],
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("TIANWANG_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        data_dir=tmp_path / "data",
        mqtt=mqtt.model_dump(),
        delivery={"endpoint": receiver[0], "secret": SECRET, "retry_initial_s": 0.1},
    )
    await add_user(engine, "op1", Role.operator, display_name="值班员 张", password=PASSWORD)
    fire = await IncidentEngine(engine, PUB).record(
        Detection("fire", "camera", "cam-nmy-01", datetime.now(UTC), 0.95)
    )
    assert fire is not None
    async with Pipeline(settings, engine) as pipeline, chromium(tmp_path / "profile") as page:
        assert pipeline.sensors is not None
        await asyncio.wait_for(pipeline.sensors.ready.wait(), 15)
        await log_in(page, console, "op1", PASSWORD)
        await page.wait_for(f"document.querySelector('tr[data-incident=\"{fire.incident_id}\"]')")
        await page.js("window.__sameDocument = true")
        async with broker_client(mqtt, "browser-test-sensor") as client:
            topic = f"{mqtt.topic_prefix}/smoke/smk-bgy-5-301/event"
            await client.publish(topic, json.dumps({"value": "alarm"}), qos=1)
        async with asyncio.timeout(30):
            while (alarm := await incident_of(engine, "smk-bgy-5-301")) is None:
                await asyncio.sleep(0.2)
        row = f'tr[data-incident="{alarm}"]'
        await page.wait_for(f"document.querySelector('{row}')", seconds=15)
        assert await page.js("window.__sameDocument") is True  # pushed, not reloaded
        cells = await page.js(f"[...document.querySelectorAll('{row} td')].map(c => c.innerText)")
        assert cells[1] == "烟感报警" and cells[4] == "待处理"
        await page.press_enter_on(f'{row} button[data-step="acknowledged"]')
        await page.wait_for(f"document.querySelector('{row} td.status').innerText === '已确认'")
        async with engine.connect() as conn:
            status = (
                await conn.execute(sa.select(incidents.c.status).where(incidents.c.id == alarm))
            ).scalar_one()
        assert status == "acknowledged"
        await page.screenshot(shots / "queue.png")


async def incident_of(engine: AsyncEngine, source_id: str) -> str | None:
    """The id of the incident ``source_id`` opened, once it exists."""
    async with engine.connect() as conn:
        found: str | None = (
            await conn.execute(sa.select(incidents.c.id).where(incidents.c.source_id == source_id))
        ).scalar_one_or_none()
    return found


@pytest.fixture
async def live_console(
    engine: AsyncEngine, clips: dict[Scene, Path], rtsp_ready: None
) -> AsyncIterator[tuple[str, LiveVideo]]:
    async with RtspSimulator({"street": clips[Scene.STREET]}, fps=10) as simulator:
        await set_stream_url(engine, "cam-bgy-01", simulator.url("street"))
        app = create_app(engine, live_interval_s=0.5)
        async with serve_app(app, "127.0.0.1", 0) as url:
            yield f"{url}/console/", app.state.live_video


async def test_an_operator_opens_a_camera_from_the_health_wall_and_its_video_plays(
    live_console: tuple[str, LiveVideo], engine: AsyncEngine, tmp_path: Path
) -> None:
    url, live = live_console
    shots = Path(os.environ.get("TIANWANG_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    await add_user(engine, "op1", Role.operator, display_name="值班员 张", password=PASSWORD)
    async with chromium(tmp_path / "profile") as page:
        await log_in(page, url, "op1", PASSWORD)
        await page.js("location.hash = '#/health'; true")
        await page.wait_for("document.querySelector('#health-view [data-camera=\"cam-bgy-01\"]')")
        await page.press_enter_on('[data-camera="cam-bgy-01"]')  # by keyboard
        await page.wait_for("location.hash === '#/camera/cam-bgy-01'")
        await page.wait_for("document.querySelector('#live-video')?.videoWidth > 0", seconds=30)
        decoded = await page.js(
            "viewing.pc.getStats().then(stats => [...stats.values()]"
            ".filter(s => s.type === 'inbound-rtp' && s.kind === 'video')"
            ".reduce((n, s) => n + (s.framesDecoded || 0), 0))"
        )
        assert decoded > 0
        await page.wait_for(
            "document.querySelector('#live-video').currentTime > 1", seconds=15
        )  # it keeps playing
        assert live.upstream_count == 1 and live.viewer_count("cam-bgy-01") == 1
        await page.screenshot(shots / "live.png")

        await page.js("location.hash = '#/queue'; true")  # leaving the page leaves the view
        async with asyncio.timeout(15):
            while live.upstream_count:
                await asyncio.sleep(0.1)
