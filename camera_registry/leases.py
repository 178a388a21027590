"""Camera leases: which worker analyses which camera, renewed by heartbeat, fenced by epoch.

A worker claims free or expired leases (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so claimers never wait on each other; on SQLite the same statement without the
lock clause, and a conditional UPDATE that only takes a lease still free or expired is the
guard on both). Each claim bumps the camera's epoch. A Detection carries the epoch it was
made under, and ``admits`` refuses one whose worker no longer holds that epoch.

Times come from the caller's clock (UTC); the machines of a fleet keep theirs with NTP,
and the lease time is far above the skew that leaves.
"""

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.lease_schema import camera_analysis, camera_leases, fleet_workers
from camera_registry.schema import cameras

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Lease:
    """One camera held by this worker under one fencing epoch."""

    camera_id: str
    epoch: int


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT with ON CONFLICT support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _leasable() -> sa.ColumnElement[bool]:
    """Cameras the fleet analyses: enabled, with a stream to open."""
    return sa.and_(cameras.c.enabled.is_(True), cameras.c.rtsp_sub != "")


class LeaseStore:
    """One worker's view of the lease table."""

    def __init__(
        self,
        engine: AsyncEngine,
        worker: str,
        *,
        capacity: int,
        lease_s: float,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.worker = worker
        self.capacity = capacity
        self.lease = timedelta(seconds=lease_s)
        self._now = clock

    async def join(self) -> None:
        """Say this worker is alive; leases a former run under this name held are freed."""
        now = self._now()
        async with self.engine.begin() as conn:
            row = {"name": self.worker, "capacity": self.capacity, "heartbeat_at": now}
            upsert = _insert(conn, fleet_workers).values(started_at=now, fenced=0, **row)
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["name"],
                    set_={"capacity": self.capacity, "heartbeat_at": now, "started_at": now},
                )
            )
            await conn.execute(
                sa.update(camera_leases)
                .where(camera_leases.c.worker == self.worker)
                .values(worker=None, expires_at=None)
            )

    async def heartbeat(self, fenced: int) -> None:
        """Keep this worker counted in the fair share; store how many detections it refused."""
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(fleet_workers)
                .where(fleet_workers.c.name == self.worker)
                .values(heartbeat_at=self._now(), capacity=self.capacity, fenced=fenced)
            )

    async def leave(self) -> None:
        """Clean shutdown: every lease of this worker freed at once, and the worker gone."""
        async with self.engine.begin() as conn:
            await self._free(conn, sa.true())
            await conn.execute(sa.delete(fleet_workers).where(fleet_workers.c.name == self.worker))

    async def fair_share(self) -> int:
        """How many cameras this worker should hold: the leasable cameras split in proportion
        to the capacities of the live workers (this one included), never above its own."""
        alive_since = self._now() - self.lease
        async with self.engine.connect() as conn:
            total = int(
                (
                    await conn.execute(
                        sa.select(sa.func.count()).select_from(cameras).where(_leasable())
                    )
                ).scalar_one()
            )
            capacities = (
                await conn.execute(
                    sa.select(fleet_workers.c.name, fleet_workers.c.capacity).where(
                        fleet_workers.c.heartbeat_at > alive_since
                    )
                )
            ).all()
        weights = {row.name: min(row.capacity, total) for row in capacities}
        weights[self.worker] = min(self.capacity, total)
        if sum(weights.values()) == 0:
            return 0
        share = math.ceil(total * weights[self.worker] / sum(weights.values()))
        return int(min(share, self.capacity))

    async def claim(self, count: int) -> list[Lease]:
        """Take up to ``count`` free or expired leases, each under a new epoch."""
        if count <= 0:
            return []
        now = self._now()
        leases = camera_leases.c
        async with self.engine.begin() as conn:
            await self._add_missing(conn)
            free = sa.or_(leases.worker.is_(None), leases.expires_at < now)
            candidates = (
                sa.select(leases.camera_id)
                .join(cameras, cameras.c.id == leases.camera_id)
                .where(free, _leasable())
                .order_by(leases.camera_id)
                .limit(count)
                .with_for_update(skip_locked=True, of=camera_leases)
            )
            ids = list((await conn.execute(candidates)).scalars())
            if not ids:
                return []
            taken = (
                await conn.execute(
                    sa.update(camera_leases)
                    .where(leases.camera_id.in_(ids), free)
                    .values(
                        worker=self.worker,
                        epoch=leases.epoch + 1,
                        expires_at=now + self.lease,
                        claimed_at=now,
                    )
                    .returning(leases.camera_id, leases.epoch)
                )
            ).all()
            claimed = [Lease(row.camera_id, int(row.epoch)) for row in taken]
            if claimed:
                await conn.execute(
                    sa.insert(camera_analysis),
                    [
                        {
                            "camera_id": lease.camera_id,
                            "epoch": lease.epoch,
                            "worker": self.worker,
                            "first_at": now,
                            "last_at": now,
                        }
                        for lease in claimed
                    ],
                )
        return sorted(claimed, key=lambda lease: lease.camera_id)

    async def renew(self, analysing: Iterable[Lease]) -> dict[str, int]:
        """Extend every lease this worker still holds; returns them (camera → epoch).

        ``analysing`` are the leases whose cameras run here: their analysis span is
        extended to now, but only under an epoch the worker still holds.
        """
        now = self._now()
        leases = camera_leases.c
        running = [(lease.camera_id, lease.epoch) for lease in analysing]
        async with self.engine.begin() as conn:
            held = (
                await conn.execute(
                    sa.update(camera_leases)
                    .where(leases.worker == self.worker)
                    .values(expires_at=now + self.lease)
                    .returning(leases.camera_id, leases.epoch)
                )
            ).all()
            still = {row.camera_id: int(row.epoch) for row in held}
            spans = [pair for pair in running if still.get(pair[0]) == pair[1]]
            if spans:
                a = camera_analysis.c
                await conn.execute(
                    sa.update(camera_analysis)
                    .where(sa.tuple_(a.camera_id, a.epoch).in_(spans))
                    .values(last_at=now)
                )
        return still

    async def release(self, leases: Iterable[Lease]) -> None:
        """Free these leases (their cameras already stopped here); the epoch stays."""
        pairs = [(lease.camera_id, lease.epoch) for lease in leases]
        if not pairs:
            return
        c = camera_leases.c
        async with self.engine.begin() as conn:
            await self._free(conn, sa.tuple_(c.camera_id, c.epoch).in_(pairs))

    async def stopped(self, lease: Lease) -> None:
        """The camera stopped being analysed here: its span ends now."""
        a = camera_analysis.c
        async with self.engine.begin() as conn:
            await conn.execute(
                sa.update(camera_analysis)
                .where(a.camera_id == lease.camera_id, a.epoch == lease.epoch)
                .values(last_at=self._now())
            )

    async def admits(self, camera_id: str, epoch: int) -> bool:
        """Whether a detection made under ``epoch`` may be recorded: this worker still holds
        the camera's lease under that very epoch."""
        query = sa.select(camera_leases.c.worker, camera_leases.c.epoch).where(
            camera_leases.c.camera_id == camera_id
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        return row is not None and row.worker == self.worker and int(row.epoch) == epoch

    async def _free(self, conn: AsyncConnection, which: sa.ColumnElement[bool]) -> None:
        now = self._now()
        c, a = camera_leases.c, camera_analysis.c
        mine = sa.and_(c.worker == self.worker, which)
        held = (await conn.execute(sa.select(c.camera_id, c.epoch).where(mine))).all()
        if held:
            pairs = [(row.camera_id, row.epoch) for row in held]
            await conn.execute(
                sa.update(camera_analysis)
                .where(sa.tuple_(a.camera_id, a.epoch).in_(pairs), a.worker == self.worker)
                .values(last_at=now)
            )
        await conn.execute(
            sa.update(camera_leases).where(mine).values(worker=None, expires_at=None)
        )

    async def _add_missing(self, conn: AsyncConnection) -> None:
        """A lease row for every camera that has none yet (new cameras join the pool)."""
        missing = sa.select(cameras.c.id).where(
            ~sa.exists().where(camera_leases.c.camera_id == cameras.c.id)
        )
        await conn.execute(
            _insert(conn, camera_leases)
            .from_select(["camera_id"], missing)
            .on_conflict_do_nothing(index_elements=["camera_id"])
        )


async def ownership(engine: AsyncEngine, now: datetime) -> dict[str, str]:
    """Every camera whose lease is held and unexpired at ``now`` → its worker."""
    c = camera_leases.c
    query = sa.select(c.camera_id, c.worker).where(c.worker.is_not(None), c.expires_at > now)
    async with engine.connect() as conn:
        return {row.camera_id: row.worker for row in (await conn.execute(query)).all()}


async def overlapping_spans(engine: AsyncEngine) -> list[str]:
    """Cameras two workers analysed at once, from the analysis spans: a span that starts
    before the previous epoch's span ended. Empty when the fencing held."""
    a = camera_analysis.c
    query = sa.select(a.camera_id, a.epoch, a.worker, a.first_at, a.last_at).order_by(
        a.camera_id, a.epoch
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    doubled: set[str] = set()
    for before, after in itertools.pairwise(rows):
        same_camera = before.camera_id == after.camera_id
        if same_camera and before.worker != after.worker and after.first_at < before.last_at:
            doubled.add(after.camera_id)
    return sorted(doubled)
