"""The incident rules, each as it reads: dedup, cooldown, fusion, escalation, lifecycle."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import camera_coverage, sensors
from detectors.model import SNAPSHOT, Detection, Reading
from incidents.engine import IncidentEngine, Timings
from incidents.lifecycle import TransitionRefused, history, transition
from incidents.schema import incidents, outbox
from tests.conftest import PUB

pytestmark = pytest.mark.integration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def camera_fire(clock: Clock, camera: str = "cam-nmy-01", confidence: float = 0.8) -> Detection:
    return Detection("fire", "camera", camera, clock.now, confidence, box=(0.1, 0.2, 0.1, 0.1))


def smoke_alarm(clock: Clock, sensor: str = "smk-bgy-5-301") -> Detection:
    reading = Reading(sensor, "smoke", "alarm", clock.now)
    return Detection("sensor.smoke", "sensor", sensor, clock.now, 0.9, reading=reading)


def heat_alarm(clock: Clock, sensor: str = "heat-djyx-2-101") -> Detection:
    reading = Reading(sensor, "heat", "alarm", clock.now)
    return Detection("sensor.heat", "sensor", sensor, clock.now, 0.9, reading=reading)


async def one(engine: AsyncEngine, incident_id: str | None) -> sa.Row[tuple[object, ...]]:
    async with engine.connect() as conn:
        return (await conn.execute(sa.select(incidents).where(incidents.c.id == incident_id))).one()


async def count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def cover(engine: AsyncEngine, camera: str, site: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.insert(camera_coverage).values(camera_id=camera, site_id=site))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rules(engine: AsyncEngine, clock: Clock) -> IncidentEngine:
    timings = Timings(fusion_window_s=300, escalate_s={"*": 120}, cooldown_s={"*": 600})
    return IncidentEngine(engine, PUB, timings=timings, clock=clock)


async def test_new_detections_of_an_active_incident_update_it_instead_of_opening_another(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    first = await rules.record(camera_fire(clock, confidence=0.6))
    clock.advance(30)
    again = await rules.record(camera_fire(clock, confidence=0.9))
    assert (first.action, again.action, again.incident_id) == (
        "opened",
        "updated",
        first.incident_id,
    )
    row = await one(engine, first.incident_id)
    assert (row.detections, row.peak_confidence, row.version) == (2, 0.9, 1)
    assert await count(engine, incidents) == 1


async def test_two_smoke_detectors_in_one_building_are_one_incident(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(sensors).values(
                id="smk-bgy-5-302", kind="smoke", grid_id="520626001002007", site_id="bgy-5"
            )
        )
    first = await rules.record(smoke_alarm(clock, "smk-bgy-5-301"))
    second = await rules.record(smoke_alarm(clock, "smk-bgy-5-302"))
    assert second.action == "updated" and second.incident_id == first.incident_id
    row = await one(engine, first.incident_id)
    assert {s["id"] for s in row.sources} == {"smk-bgy-5-301", "smk-bgy-5-302"}


async def test_after_resolve_the_same_place_opens_nothing_new_until_the_cooldown_has_passed(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    first = await rules.record(camera_fire(clock))
    assert first.incident_id is not None
    await transition(
        engine, first.incident_id, "resolved", actor="op-1", note="extinguished", pub=PUB
    )
    closed_at = (await one(engine, first.incident_id)).closed_at
    assert isinstance(closed_at, datetime)
    clock.now = closed_at + timedelta(seconds=599)
    assert (await rules.record(camera_fire(clock))).action == "suppressed"
    clock.now = closed_at + timedelta(seconds=601)
    reopened = await rules.record(camera_fire(clock))
    assert reopened.action == "opened" and reopened.incident_id != first.incident_id


async def test_smoke_alarm_and_camera_fire_at_the_same_building_are_one_observed_incident(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    await cover(engine, "cam-bgy-01", "bgy-5")  # cam-bgy-01 watches building 5 of 碧桂园
    alarm = await rules.record(smoke_alarm(clock))
    clock.advance(90)
    seen = await rules.record(camera_fire(clock, camera="cam-bgy-01"))
    assert (alarm.action, seen.action, seen.incident_id) == ("opened", "fused", alarm.incident_id)
    row = await one(engine, alarm.incident_id)
    assert (row.certainty, row.severity, row.version) == ("Observed", "Extreme", 2)
    assert {(s["kind"], s["id"]) for s in row.sources} == {
        ("sensor", "smk-bgy-5-301"),
        ("camera", "cam-bgy-01"),
    }
    assert await count(engine, incidents) == 1


async def test_camera_fire_then_an_alarm_in_the_building_it_watches_fuse_too(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    await cover(engine, "cam-djyx-02", "djyx-2")
    seen = await rules.record(camera_fire(clock, camera="cam-djyx-02"))
    clock.advance(60)
    alarm = await rules.record(heat_alarm(clock))
    assert alarm.action == "fused" and alarm.incident_id == seen.incident_id


async def test_an_alarm_outside_the_fusion_window_is_its_own_incident(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    await cover(engine, "cam-bgy-01", "bgy-5")
    await rules.record(camera_fire(clock, camera="cam-bgy-01"))
    clock.advance(301)
    assert (await rules.record(smoke_alarm(clock))).action == "opened"


async def test_a_sensor_alarm_asks_for_the_buildings_cameras_to_focus(
    engine: AsyncEngine, clock: Clock
) -> None:
    asked: list[tuple[list[str], float]] = []
    await cover(engine, "cam-bgy-01", "bgy-5")
    rules = IncidentEngine(
        engine,
        PUB,
        timings=Timings(focus_s=45),
        clock=clock,
        focus=lambda c, s: asked.append((c, s)),
    )
    await rules.record(smoke_alarm(clock))
    for _ in range(100):
        if asked:
            break
        await asyncio.sleep(0.02)
    assert asked == [(["cam-bgy-01"], 45)]


async def test_an_unacknowledged_incident_is_re_alerted_one_severity_up(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    opened = await rules.record(camera_fire(clock))
    clock.advance(119)
    assert await rules.escalate_due() == []
    clock.advance(2)
    assert await rules.escalate_due() == [opened.incident_id]
    row = await one(engine, opened.incident_id)
    assert (row.severity, row.escalations, row.version, row.status) == ("Extreme", 1, 2, "open")
    clock.advance(60)
    assert await rules.escalate_due() == []  # the next escalation waits a full period again


async def test_an_acknowledged_incident_is_not_escalated(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    opened = await rules.record(camera_fire(clock))
    assert opened.incident_id is not None
    await transition(engine, opened.incident_id, "acknowledged", actor="op-1", note=None, pub=PUB)
    clock.advance(3600)
    assert await rules.escalate_due() == []


async def test_the_lifecycle_moves_forward_with_an_audit_trail_and_one_version_per_step(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    opened = await rules.record(camera_fire(clock))
    incident = opened.incident_id
    assert incident is not None
    worker = "gw-520626001001003"
    await transition(engine, incident, "acknowledged", actor="op-1", note="seen", pub=PUB)
    await transition(engine, incident, "dispatched", actor="op-1", note="sent 网格员", pub=PUB)
    await transition(engine, incident, "on_site", actor=worker, note="到场", pub=PUB)
    await transition(engine, incident, "resolved", actor=worker, note="已处置", pub=PUB)
    trail = await history(engine, incident)
    assert [(t.from_status, t.to_status, t.version) for t in trail] == [
        (None, "open", 1),
        ("open", "acknowledged", 2),
        ("acknowledged", "dispatched", 3),
        ("dispatched", "on_site", 4),
        ("on_site", "resolved", 5),
    ]
    assert (trail[3].actor, trail[3].note) == (worker, "到场")
    with pytest.raises(TransitionRefused, match="is resolved"):
        await transition(engine, incident, "acknowledged", actor="op-1", note=None, pub=PUB)
    async with engine.connect() as conn:
        query = sa.select(outbox.c.version, outbox.c.destination, outbox.c.payload).order_by(
            outbox.c.id
        )
        sent = (await conn.execute(query)).all()
    to_yiwangguan = [m for m in sent if m.destination == "yiwangguan"]
    assert [m.version for m in to_yiwangguan] == [1, 2, 3, 4, 5]
    assert [m.payload["data"]["msgType"] for m in to_yiwangguan] == [
        "Alert",
        "Update",
        "Update",
        "Update",
        "Update",
    ]
    assert to_yiwangguan[-1].payload["data"]["references"] == [
        m.payload["id"] for m in to_yiwangguan[:-1]
    ]
    assert {m.destination for m in sent} == {"yiwangguan", "grid:520626001001003"}


async def test_a_step_back_is_refused(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    opened = await rules.record(camera_fire(clock))
    assert opened.incident_id is not None
    await transition(engine, opened.incident_id, "on_site", actor="gw-1", note=None, pub=PUB)
    with pytest.raises(TransitionRefused, match="cannot become acknowledged"):
        await transition(
            engine, opened.incident_id, "acknowledged", actor="op-1", note=None, pub=PUB
        )


async def test_false_alarm_is_a_cancel_and_can_come_from_any_open_state(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    opened = await rules.record(camera_fire(clock))
    assert opened.incident_id is not None
    await transition(engine, opened.incident_id, "dispatched", actor="op-1", note=None, pub=PUB)
    row = await transition(
        engine, opened.incident_id, "false_alarm", actor="op-1", note="红色广告牌", pub=PUB
    )
    assert row.status == "false_alarm" and row.closed_at is not None
    async with engine.connect() as conn:
        query = (
            sa.select(outbox.c.payload)
            .where(outbox.c.destination == "yiwangguan")
            .order_by(outbox.c.id.desc())
        )
        last = (await conn.execute(query)).first()
    assert last is not None and last.payload["data"]["msgType"] == "Cancel"


async def test_a_snapshot_asked_for_on_an_alarm_is_attached_to_that_incident_as_a_new_version(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock, tmp_path: Path
) -> None:
    await cover(engine, "cam-bgy-01", "bgy-5")
    alarm = await rules.record(smoke_alarm(clock))
    picture = tmp_path / "bgy.jpg"
    picture.write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    clock.advance(2)
    shot = Detection(SNAPSHOT, "camera", "cam-bgy-01", clock.now, 1.0, snapshot=str(picture))
    attached = await rules.record(shot)
    assert (attached.action, attached.incident_id) == ("updated", alarm.incident_id)
    row = await one(engine, alarm.incident_id)
    (snap,) = row.evidence["snapshots"]
    assert (
        snap["camera"] == "cam-bgy-01"
        and snap["sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest()
    )
    assert row.version == 2 and row.certainty == "Likely"  # a picture is evidence, not a detection
    assert [s["id"] for s in row.sources] == ["smk-bgy-5-301"]
    stray = Detection(SNAPSHOT, "camera", "cam-nmy-01", clock.now, 1.0, snapshot=str(picture))
    assert (await rules.record(stray)).action == "suppressed"  # no incident where it looks
    assert await count(engine, incidents) == 1


async def test_a_cameras_report_about_itself_stays_with_the_inventory_manager(
    rules: IncidentEngine, engine: AsyncEngine, clock: Clock
) -> None:
    offline = Detection("camera.offline", "camera", "cam-djyx-01", clock.now, 1.0)
    opened = await rules.record(offline)
    assert opened.action == "opened"
    assert (await one(engine, opened.incident_id)).status == "open"
    assert await count(engine, outbox) == 0  # not for 一网管, not for the grid worker
