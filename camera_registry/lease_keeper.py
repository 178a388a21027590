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
from functools import partial

import sqlalchemy as sa

from camera_registry.leases import Lease, LeaseStore

log = logging.getLogger(__name__)

START_AT_ONCE = 8
"""Cameras started at once (each start holds a database connection for a moment)."""

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
        self._renewal: tuple[dict[str, Lease], dict[str, int]] = ({}, {})
        """The last renewal: the leases it renewed, and what the database still gives us."""
        self._starting: dict[str, asyncio.Task[None]] = {}
        """Cameras claimed whose start (``watch``) has not finished."""
        self._starts = asyncio.Semaphore(START_AT_ONCE)
        self.steps: dict[str, float] = {}
        """The last round's steps: seconds from its start to each step's end."""
        self.settled = asyncio.Event()
        """Set once a round ended with this worker at its fair share, every camera started."""

    async def run(self) -> None:
        """Join the fleet, then renew every ``renew_s`` in a task of its own, and one round
        of rebalancing every ``renew_s``, until cancelled."""
        # Restarted after a crash: joining frees this name's leases, so stop their cameras first.
        await self._stop_all(list(self.held), record=False)
        await self.store.join()
        self._renewed_at = time.monotonic()
        renewing = asyncio.create_task(self._renew_forever(), name="lease renewal")
        try:
            while True:
                started = time.monotonic()
                try:
                    # Bounded, so a hung database cannot keep the stale check from running.
                    await asyncio.wait_for(self.round(), timeout=self.store.lease.total_seconds())
                except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
                    log.error(
                        "leases: round failed (%s: %s) after %.1f s; steps done at %s",
                        type(exc).__name__,
                        exc,
                        time.monotonic() - started,
                        self.steps,
                    )
                else:
                    if time.monotonic() - started > self._renew_s:
                        log.warning(
                            "leases: round took %.1f s (renew every %g s); steps done at %s",
                            time.monotonic() - started,
                            self._renew_s,
                            self.steps,
                        )
                await self._stop_if_stale()
                await asyncio.sleep(max(0.0, self._renew_s - (time.monotonic() - started)))
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)

    async def _renew_forever(self) -> None:
        """Renew every lease held, every ``renew_s``, whatever the rounds are doing.

        Renewing used to open each round; a round that then waited on stopping cameras (up
        to a read timeout each) or on a late event loop overran the 10 s lease on
        PostgreSQL, the worker stopped every camera it held, and the other took them over,
        again and again (bench county, session 8).
        """
        while True:
            started = time.monotonic()
            asked = dict(self.held)
            try:
                still = await asyncio.wait_for(
                    self.store.renew(asked.values()), timeout=self.store.lease.total_seconds()
                )
            except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
                log.error("leases: renewal failed (%s: %s)", type(exc).__name__, exc)
            else:
                self._renewed_at = started
                self._renewal = (asked, still)
            await asyncio.sleep(max(0.0, self._renew_s - (time.monotonic() - started)))

    async def round(self) -> None:
        """Drop what the last renewal found lost, then claim or give back towards the fair
        share."""
        started = time.monotonic()
        self.steps = {}
        asked, still = self._renewal
        self._renewal = ({}, {})  # each renewal's findings acted on once
        # Lost: asked under an epoch the database no longer gives us, and still held under it.
        lost = [
            c
            for c, lease in asked.items()
            if still.get(c) != lease.epoch and self.held.get(c) == lease
        ]
        for camera_id in lost:
            log.warning("leases: camera %s was taken from us", camera_id)
        await self._stop_all(lost)
        strays = [Lease(c, e) for c, e in still.items() if c not in self.held]
        await self.store.release(strays)
        await self.store.heartbeat(self.fenced)
        target = await self.store.fair_share()
        self._step_done("share", started)
        if len(self.held) > target:
            surplus = sorted(self.held)[-min(len(self.held) - target, self._step) :]
            given = [self.held[camera_id] for camera_id in surplus]
            await self._stop_all(surplus)
            await self.store.release(given)
            log.info("leases: gave back %d cameras (share %d)", len(given), target)
        elif len(self.held) < target and not self._starting:
            # A bounded step per round, and none while the last one's cameras still start:
            # claiming a worker's whole share within seconds started hundreds of cameras at
            # once, and the storm kept the loop (and the renewals) late past the lease
            # (bench county, session 8).
            for lease in await self.store.claim(min(target - len(self.held), self._claim_step)):
                self.held[lease.camera_id] = lease
                self._start(lease)
            self._step_done("claim", started)
        if len(self.held) == target and not self._starting:
            self.settled.set()

    def _start(self, lease: Lease) -> None:
        """Start the camera of ``lease`` in a task of its own: the round goes on.

        Starting a camera reads the register and builds its detectors; fifty of them one
        after the other took 3 to 10 s of a busy worker (each round trip waits for the GIL
        behind the camera threads), and a round that waited on them overran the lease."""

        async def start() -> None:
            async with self._starts:
                await self._watch(lease)

        task = asyncio.create_task(start(), name=f"start camera {lease.camera_id}")
        self._starting[lease.camera_id] = task
        task.add_done_callback(partial(self._started, lease.camera_id))

    def _started(self, camera_id: str, task: "asyncio.Task[None]") -> None:
        if self._starting.get(camera_id) is task:
            del self._starting[camera_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("leases: camera %s did not start: %r", camera_id, task.exception())

    def _step_done(self, step: str, started: float) -> None:
        """Note when ``step`` of this round ended (seconds since ``started``); a round
        that overran renew_s is logged with them."""
        self.steps[step] = round(time.monotonic() - started, 2)

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
        starting = [t for c in camera_ids if (t := self._starting.pop(c, None)) is not None]
        for task in starting:
            task.cancel()  # before it registers the camera: nothing to stop then
        await asyncio.gather(*starting, return_exceptions=True)
        await asyncio.gather(*(self._unwatch(camera_id) for camera_id in camera_ids))
        if record:
            for lease in leases:
                await self.store.stopped(lease)
