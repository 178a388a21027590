"""Dead letters: sensor messages that yielded no Reading, kept with their raw bytes and why.

Writes are batched off the consumer's hot path: ``DeadLetters.add`` only queues; ``run``
inserts what is queued every ``flush_s`` (or at once past ``batch``), so a flood of bad
payloads costs one INSERT per batch and never stops the consumer.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import UtcDateTime, metadata

log = logging.getLogger(__name__)

sensor_dead_letters = sa.Table(
    "sensor_dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", UtcDateTime, nullable=False, index=True),
    sa.Column("topic", sa.String(512), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False, index=True),
    sa.Column("detail", sa.String(512), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False, comment="raw bytes, cut at the limit"),
    sa.Column("payload_bytes", sa.Integer, nullable=False, comment="size as received"),
    comment="sensor messages that yielded no reading (bad payload, unknown device, absurd value)",
)


class DeadLetters:
    """Queues rejected messages and writes them in batches."""

    def __init__(
        self, engine: AsyncEngine, *, max_bytes: int = 4096, batch: int = 500, flush_s: float = 0.5
    ) -> None:
        self._engine = engine
        self._max_bytes = max_bytes
        self._batch = batch
        self._flush_s = flush_s
        self._queued: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self.written = 0

    def add(self, topic: str, payload: bytes, reason: str, detail: str) -> None:
        """Queue one rejected message (never blocks, never raises)."""
        self._queued.append(
            {
                "received_at": datetime.now(UTC),
                "topic": topic[:512],
                "reason": reason[:32],
                "detail": detail[:512],
                "payload": payload[: self._max_bytes],
                "payload_bytes": len(payload),
            }
        )
        if len(self._queued) >= self._batch:
            self._wake.set()

    async def flush(self) -> int:
        """Write what is queued now; the number of rows written."""
        rows, self._queued = self._queued, []
        if not rows:
            return 0
        try:
            async with self._engine.begin() as conn:
                await conn.execute(sa.insert(sensor_dead_letters), rows)
        except sa.exc.SQLAlchemyError as exc:
            self._queued[:0] = rows  # keep them for the next try
            log.error("dead letters: could not store %d rows: %s", len(rows), exc)
            return 0
        self.written += len(rows)
        return len(rows)

    async def run(self) -> None:
        """Flush every ``flush_s`` (sooner when a batch fills) until cancelled, then once more."""
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._flush_s)
                self._wake.clear()
                await self.flush()
        finally:
            await asyncio.shield(self.flush())


async def dead_letter_counts(engine: AsyncEngine) -> dict[str, int]:
    """How many dead letters are stored, by reason."""
    query = sa.select(sensor_dead_letters.c.reason, sa.func.count()).group_by(
        sensor_dead_letters.c.reason
    )
    async with engine.connect() as conn:
        return {reason: int(n) for reason, n in (await conn.execute(query)).all()}
