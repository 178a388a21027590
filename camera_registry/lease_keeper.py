"""The lease loop of one worker: renew, claim up to the fair share, give back above it.

It starts and stops cameras through two callbacks it is handed (the pipeline's ``watch``
and ``unwatch``), so it knows nothing of streams. Stopping always comes before releasing,
and a worker that could not renew for ``lease_s - renew_s`` stops every camera on its own
(before anyone may claim them): together with the epochs this keeps each camera analysed
by one worker at a time.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from camera_registry.leases import Lease, LeaseStore

log = logging.getLogger(__name__)

Watch = Callable[[Lease], Awaitable[None]]
Unwatch = Callable[[str], Awaitable[None]]


class LeaseKeeper:
    """Keeps this worker's share of the cameras; ``run()`` until cancelled, then ``leave()``."""

    def __init__(
        self,
        store: LeaseStore,
        watch: Watch,
        unwatch: Unwatch,
        *,
        renew_s: float,
        rebalance_step: int,
        claim_step: int = 50,
    ) -> None:
        self.store = store
        self._claim_step = claim_step
        self._watch = watch
        self._unwatch = unwatch
        self._renew_s = renew_s
        self._step = rebalance_step
        self.held: dict[str, Lease] = {}
        """The leases whose cameras run here now."""
        self.fenced = 0
        """Detections refused because their lease was lost (see ``admits``)."""
        self._renewed_at = time.monotonic()
        self.settled = asyncio.Event()
        """Set once a round ended with this worker at its fair share."""

    async def run(self) -> None:
        """Join the fleet, then one round every ``renew_s`` until cancelled."""
        # Restarted after a crash: joining frees this name's leases, so stop their cameras first.
        await self._stop_all(list(self.held), record=False)
        await self.store.join()
        self._renewed_at = time.monotonic()
        while True:
            started = time.monotonic()
            try:
                # Bounded, so a hung database cannot keep the stale check below from running.
                await asyncio.wait_for(self.round(), timeout=self.store.lease.total_seconds())
            except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
                log.error("leases: round failed (%s: %s)", type(exc).__name__, exc)
            await self._stop_if_stale()
            await asyncio.sleep(max(0.0, self._renew_s - (time.monotonic() - started)))

    async def round(self) -> None:
        """Renew, drop what was lost, then claim or give back towards the fair share."""
        started = time.monotonic()
        still = await self.store.renew(self.held.values())
        self._renewed_at = started
        lost = [c for c, lease in self.held.items() if still.get(c) != lease.epoch]
        for camera_id in lost:
            log.warning("leases: camera %s was taken from us", camera_id)
        await self._stop_all(lost)
        strays = [Lease(c, e) for c, e in still.items() if c not in self.held]
        await self.store.release(strays)
        await self.store.heartbeat(self.fenced)
        target = await self.store.fair_share()
        if len(self.held) > target:
            surplus = sorted(self.held)[-min(len(self.held) - target, self._step) :]
            given = [self.held[camera_id] for camera_id in surplus]
            await self._stop_all(surplus)
            await self.store.release(given)
            log.info("leases: gave back %d cameras (share %d)", len(given), target)
        elif len(self.held) < target:
            # A bounded step per round: starting hundreds of cameras at once would keep the
            # round (and the renewals in it) from finishing within the lease time.
            for lease in await self.store.claim(min(target - len(self.held), self._claim_step)):
                self.held[lease.camera_id] = lease
                await self._watch(lease)
        if len(self.held) == target:
            self.settled.set()

    async def admits(self, camera_id: str, epoch: int) -> bool:
        """Whether a detection of ``camera_id`` made under ``epoch`` may be recorded; a refusal
        is counted (``fenced``) and logged."""
        lease = self.held.get(camera_id)
        if lease is not None and lease.epoch == epoch and await self.store.admits(camera_id, epoch):
            return True
        self.fenced += 1
        log.warning(
            "leases: detection of camera %s under epoch %d refused: lease no longer ours",
            camera_id,
            epoch,
        )
        return False

    async def leave(self) -> None:
        """Clean shutdown: stop every camera, then free every lease at once."""
        await self._stop_all(list(self.held), record=False)
        try:
            await self.store.leave()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.error("leases: could not release on shutdown (they expire): %s", exc)

    async def _stop_if_stale(self) -> None:
        silent = time.monotonic() - self._renewed_at
        lease_s = self.store.lease.total_seconds()
        if self.held and silent > lease_s - self._renew_s:
            log.error(
                "leases: not renewed for %.1f s; stopping all %d cameras before they expire",
                silent,
                len(self.held),
            )
            await self._stop_all(list(self.held), record=False)

    async def _stop_all(self, camera_ids: list[str], *, record: bool = True) -> None:
        """Stop these cameras here, all at once; with ``record``, their spans end now."""
        leases = [self.held.pop(camera_id) for camera_id in camera_ids]
        await asyncio.gather(*(self._unwatch(camera_id) for camera_id in camera_ids))
        if record:
            for lease in leases:
                await self.store.stopped(lease)
