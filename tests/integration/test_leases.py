"""Camera leases on real PostgreSQL (and SQLite, the one-machine default): claim, renew,
expire, steal, epochs, capacity, concurrent claimers, fencing."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.database import open_engine
from camera_registry.lease_keeper import START_AT_ONCE, LeaseKeeper
from camera_registry.lease_schema import camera_leases
from camera_registry.leases import Lease, LeaseStore, overlapping_spans, ownership
from config.settings import load_settings
from detectors.model import Detection
from incidents.schema import incidents
from tests.conftest import free_port, fresh_pg_database
from tianwang.bench_scale import fleet_registry
from tianwang.migrate import upgrade
from tianwang.pipeline import Pipeline, Roles

pytestmark = pytest.mark.integration

CAMERAS = 40


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The database URL of the test, on SQLite (one machine) and on PostgreSQL (a fleet)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fleet.db'}"
        return
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def fleet(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A registry of 40 cameras, each streaming from a port nothing listens on."""
    engine = open_engine(db_url)
    await upgrade(engine)
    port = free_port()
    await fleet_registry(engine, CAMERAS, lambda i: f"rtsp://127.0.0.1:{port}/c{i}")
    yield engine
    await engine.dispose()


def store(engine: AsyncEngine, name: str, clock: Clock, capacity: int = 1000) -> LeaseStore:
    return LeaseStore(engine, name, capacity=capacity, lease_s=10, clock=clock)


async def test_a_claim_bumps_the_epoch_and_an_expired_lease_goes_to_another_worker(
    fleet: AsyncEngine,
) -> None:
    clock = Clock()
    a, b = store(fleet, "a", clock), store(fleet, "b", clock)
    await a.join()
    got = await a.claim(3)
    assert [lease.epoch for lease in got] == [1, 1, 1]
    mine = {lease.camera_id for lease in got}
    rest = await b.claim(CAMERAS)
    assert len(rest) == CAMERAS - 3 and not mine & {lease.camera_id for lease in rest}
    assert await b.claim(CAMERAS) == []

    clock.advance(9)
    assert await a.renew(got) == {lease.camera_id: 1 for lease in got}
    await b.renew(rest)
    clock.advance(9)  # renewed 9 s ago: still a's
    assert await b.claim(CAMERAS) == []

    clock.advance(2)  # 11 s without a renewal: expired
    await b.renew(rest)
    stolen = await b.claim(CAMERAS)
    assert {(lease.camera_id, lease.epoch) for lease in stolen} == {
        (lease.camera_id, 2) for lease in got
    }
    assert await a.renew(got) == {}, "a lease taken is not renewed"
    camera = got[0].camera_id
    assert not await a.admits(camera, 1), "the old holder may not write for the camera"
    assert await b.admits(camera, 2)
    assert not await b.admits(camera, 1), "nor may anyone under the old epoch"


async def test_fair_share_follows_capacity_and_never_exceeds_it(fleet: AsyncEngine) -> None:
    clock = Clock()
    small, big = store(fleet, "small", clock, capacity=5), store(fleet, "big", clock)
    await small.join()
    await big.join()
    assert await small.fair_share() == 5
    assert await big.fair_share() == 36  # 40 cameras weighed 40 : 5
    assert len(await small.claim(await small.fair_share())) == 5
    assert len(await big.claim(await big.fair_share())) == 35  # only 35 left
    alone = store(fleet, "alone", clock, capacity=1000)
    clock.advance(11)  # the others' heartbeats are stale: the newcomer's share is everything
    assert await alone.fair_share() == CAMERAS


async def test_concurrent_claimers_never_both_own_a_camera(db_url: str, fleet: AsyncEngine) -> None:
    clock = Clock()
    engines = [open_engine(db_url) for _ in range(4)]
    try:
        stores = [store(engine, f"w{i}", clock) for i, engine in enumerate(engines)]
        for _round in range(2):  # a first claim of free leases, then a steal of expired ones
            results = await asyncio.gather(*(s.claim(CAMERAS) for s in stores for _ in range(3)))
            claimed = [lease.camera_id for found in results for lease in found]
            assert len(claimed) == len(set(claimed)) == CAMERAS, "each camera claimed once"
            clock.advance(11)
        owners = await ownership(fleet, clock.now - timedelta(seconds=11))
        async with fleet.connect() as conn:
            epochs = set((await conn.execute(sa.select(camera_leases.c.epoch))).scalars())
        assert len(owners) == CAMERAS and epochs == {2}
    finally:
        for engine in engines:
            await engine.dispose()


async def test_leaving_frees_every_lease_at_once(fleet: AsyncEngine) -> None:
    clock = Clock()
    a, b = store(fleet, "a", clock), store(fleet, "b", clock)
    await a.join()
    await a.claim(CAMERAS)
    await a.leave()
    assert len(await b.claim(CAMERAS)) == CAMERAS, "no waiting for the lease time"
    assert await overlapping_spans(fleet) == []


async def test_a_detection_made_under_a_lost_lease_is_refused_and_counted(
    fleet: AsyncEngine, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=str(tmp_path),
        database_url=str(fleet.url),
        fleet={"worker_name": "w-a", "lease_s": 4, "renew_s": 1},
        ingest={"health": {"offline_after_failures": 100}},  # no status changes meanwhile
    )
    roles = Roles(cameras="leased", sensors=False, publisher="off")
    async with Pipeline(settings, fleet, roles) as pipeline:
        assert pipeline.leases is not None
        await asyncio.wait_for(pipeline.leases.settled.wait(), 20)
        (lost, lost_epoch), (kept, kept_epoch) = sorted(
            (lease.camera_id, lease.epoch) for lease in pipeline.leases.held.values()
        )[:2]
        async with fleet.begin() as conn:  # another worker claimed it: a new epoch
            await conn.execute(
                sa.update(camera_leases)
                .where(camera_leases.c.camera_id == lost)
                .values(worker="w-b", epoch=camera_leases.c.epoch + 1)
            )
        now = datetime.now(UTC)
        pipeline.detections.put_nowait(
            Detection("fire", "camera", lost, now, 0.9, epoch=lost_epoch)
        )
        pipeline.detections.put_nowait(
            Detection("fire", "camera", kept, now, 0.9, epoch=kept_epoch)
        )
        async with asyncio.timeout(20):
            while not await fires_at(fleet, kept):
                await asyncio.sleep(0.1)
            while lost in {worker.camera_id for worker in pipeline.workers}:
                await asyncio.sleep(0.1)  # the next round notices and stops the camera
        assert await fires_at(fleet, lost) == 0
        assert pipeline.leases.fenced == 1


async def fires_at(engine: AsyncEngine, camera_id: str) -> int:
    query = sa.select(sa.func.count()).where(
        incidents.c.type == "fire", incidents.c.source_id == camera_id
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def test_a_worker_that_cannot_renew_stops_its_cameras_before_the_lease_expires(
    fleet: AsyncEngine,
) -> None:
    watching: set[str] = set()

    async def watch(lease: Lease) -> None:
        watching.add(lease.camera_id)

    async def unwatch(camera_id: str) -> None:
        watching.discard(camera_id)

    keeper = LeaseKeeper(
        LeaseStore(fleet, "a", capacity=1000, lease_s=3),
        watch,
        unwatch,
        renew_s=0.5,
        rebalance_step=10,
    )
    task = asyncio.create_task(keeper.run())
    try:
        await asyncio.wait_for(keeper.settled.wait(), 10)
        assert len(watching) == CAMERAS
        keeper.store.engine = open_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/x")
        async with asyncio.timeout(10):
            while watching:
                await asyncio.sleep(0.05)
        still_leased = await ownership(fleet, datetime.now(UTC))
        assert len(still_leased) == CAMERAS, "stopped before anyone else may claim the cameras"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_slow_camera_starts_do_not_hold_up_renewal_and_a_start_given_up_never_runs(
    fleet: AsyncEngine,
) -> None:
    """Starting a camera may take seconds on a busy worker: the round renews on meanwhile,
    and a camera stopped before its start finished is never left running."""
    release = asyncio.Event()
    watching: set[str] = set()
    asked: list[str] = []

    async def watch(lease: Lease) -> None:
        asked.append(lease.camera_id)
        await release.wait()  # a start that takes longer than the lease itself
        watching.add(lease.camera_id)

    async def unwatch(camera_id: str) -> None:
        watching.discard(camera_id)

    keeper = LeaseKeeper(
        LeaseStore(fleet, "a", capacity=1000, lease_s=2),
        watch,
        unwatch,
        renew_s=0.5,
        rebalance_step=10,
        claim_step=CAMERAS,
    )
    task = asyncio.create_task(keeper.run())
    try:
        async with asyncio.timeout(10):
            while len(asked) < START_AT_ONCE:  # the rest wait their turn to start
                await asyncio.sleep(0.05)
        await asyncio.sleep(3)  # longer than the lease: renewed all along, nothing stopped
        assert len(keeper.held) == CAMERAS and not keeper.settled.is_set()
        assert len(await ownership(fleet, datetime.now(UTC))) == CAMERAS
        task.cancel()  # as the pipeline stops: the rounds end, then the keeper leaves
        await asyncio.gather(task, return_exceptions=True)
        await keeper.leave()  # gives up every camera while all starts still wait
        release.set()
        await asyncio.sleep(0.2)
        assert watching == set(), "a start cancelled before it registered its camera"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
