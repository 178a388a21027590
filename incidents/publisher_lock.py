"""One publisher in the fleet: the outbox is drained only while holding a PostgreSQL
advisory lock on a connection of its own.

The lock belongs to that database session, so it goes when the holder dies or its
connection breaks, and a waiting process takes it within a check period. The holder checks
its connection every period too and stops publishing as soon as it is gone. Should two
ever publish for a moment, nothing is delivered twice in effect: 一网管 drops repeats by
the CloudEvent id (at-least-once + idempotency key).
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]


async def _try_lock(conn: AsyncConnection, key: int) -> bool:
    got = bool(await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key))))
    await conn.commit()  # the lock is the session's: no transaction is kept open
    return got


async def _hold(conn: AsyncConnection, work: Work, check_s: float) -> None:
    """Run ``work`` until it ends or the connection holding the lock stops answering."""
    task = asyncio.create_task(work(), name="outbox publisher")
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=check_s)
            await conn.scalar(sa.select(sa.literal(1)))
            await conn.commit()
        task.result()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def while_holding(engine: AsyncEngine, key: int, work: Work, check_s: float = 2.0) -> None:
    """Forever: wait for the advisory lock ``key``, run ``work`` while holding it.

    On SQLite (one machine, one process) there is nothing to share: ``work`` just runs.
    """
    if engine.dialect.name != "postgresql":
        await work()
        return
    waiting_logged = False
    while True:
        try:
            async with engine.connect() as conn:
                if await _try_lock(conn, key):
                    log.info("publisher: outbox lock %d taken; this process delivers", key)
                    waiting_logged = False
                    try:
                        await _hold(conn, work, check_s)
                    finally:
                        # Never hand a pooled connection back still holding the lock.
                        await conn.invalidate()
                    log.warning("publisher: stopped delivering (work ended)")
                elif not waiting_logged:
                    log.info("publisher: another process holds outbox lock %d; standing by", key)
                    waiting_logged = True
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.error("publisher: lost the database holding the outbox lock: %s", exc)
        await asyncio.sleep(check_s)
