"""The outbox publisher: deliver each queued event to 一网管, mark it delivered only on a 2xx.

At-least-once: an event stays due until a 2xx answer; the receiver drops duplicates by
the ``Idempotency-Key`` (the CloudEvent id), so the effect is exactly once. While the
endpoint is down, retries back off exponentially up to a cap; nothing is dropped.
"""

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from config.delivery import DeliverySettings
from incidents.cloudevent import CONTENT_TYPE
from incidents.metrics import DELIVERED, DELIVERY_FAILURES
from incidents.schema import outbox
from incidents.signing import signed_headers

log = logging.getLogger(__name__)


def encode(event: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for an event."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


async def outbox_count(engine: AsyncEngine, *, delivered: bool) -> int:
    """How many outbox events are delivered (or still waiting, with ``delivered=False``)."""
    done = outbox.c.delivered_at.is_not(None) if delivered else outbox.c.delivered_at.is_(None)
    async with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(outbox).where(done)
        return int((await conn.execute(query)).scalar_one())


class OutboxPublisher:
    """Drains the outbox to the 一网管 endpoint; ``run()`` until cancelled."""

    def __init__(
        self, engine: AsyncEngine, settings: DeliverySettings, client: httpx.AsyncClient
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._client = client
        self._url = str(settings.endpoint)

    async def run(self) -> None:
        """Poll the outbox and deliver what is due, forever."""
        while True:
            try:
                await self.drain_once()
            except sa.exc.SQLAlchemyError as exc:
                log.error("delivery: outbox unreadable, will retry: %s", exc)
            await asyncio.sleep(self._settings.poll_s)

    async def drain_once(self) -> int:
        """Try every due event once (stopping early if the endpoint is unreachable)."""
        now = datetime.now(UTC)
        query = (
            sa.select(outbox.c.id, outbox.c.event_id, outbox.c.payload, outbox.c.attempts)
            .where(outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.id)
            .limit(self._settings.batch)
        )
        async with self._engine.connect() as conn:
            due = (await conn.execute(query)).all()
        delivered = 0
        for row in due:
            error = await self._post(row.event_id, row.payload)
            if error is None:
                delivered += 1
                await self._mark(row.id, delivered_at=datetime.now(UTC), last_error=None)
                DELIVERED.inc()
                continue
            reason, detail = error
            DELIVERY_FAILURES.labels(reason).inc()
            delay = min(
                self._settings.retry_max_s, self._settings.retry_initial_s * 2.0**row.attempts
            )
            log.warning(
                "delivery: event %s to 一网管 %s failed (%s: %s), attempt %d, retry in %.1f s",
                row.event_id,
                self._url,
                reason,
                detail,
                row.attempts + 1,
                delay,
            )
            await self._mark(
                row.id,
                attempts=outbox.c.attempts + 1,
                next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
                last_error=f"{reason}: {detail}"[:500],
            )
            if reason in ("unreachable", "timeout"):
                break  # the rest would fail the same way; they stay due
        return delivered

    async def _post(self, event_id: str, event: dict[str, Any]) -> tuple[str, str] | None:
        body = encode(event)
        headers = {
            "content-type": CONTENT_TYPE,
            "idempotency-key": event_id,
            **signed_headers(self._settings.secret.get_secret_value(), event_id, body),
        }
        try:
            response = await self._client.post(
                self._url, content=body, headers=headers, timeout=self._settings.timeout_s
            )
        except httpx.TimeoutException as exc:
            return "timeout", type(exc).__name__
        except httpx.TransportError as exc:
            return "unreachable", f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return None
        return f"http_{response.status_code}", response.text[:200]

    async def _mark(self, row_id: int, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))
