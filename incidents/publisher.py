"""The outbox publisher: deliver each queued message, mark it delivered only on success.

At-least-once: a message stays due until its destination accepts it (a 2xx, or the MQTT
broker's PUBACK); the receiver drops duplicates by the ``Idempotency-Key`` (the
CloudEvent id), so the effect is exactly once. Versions of one incident go to a
destination in order: a message is due only when every earlier one for the same
incident and destination is delivered (or dead). Retries back off exponentially with
full jitter, and never sooner than a ``Retry-After``; a 4xx that is not about timing
(not 408, 425 or 429) is a dead letter, kept for an operator to replay.
"""

import asyncio
import contextlib
import email.utils
import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt
import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.schema import grid_workers
from config.delivery import DeliverySettings
from config.mqtt import MqttSettings
from incidents.messages import CONTENT_TYPE
from incidents.metrics import DEAD_LETTERS, DELIVERED, DELIVERY_FAILURES
from incidents.routing import YIWANGGUAN
from incidents.schema import outbox
from incidents.signing import signed_headers
from ingest.backoff import full_jitter
from ingest.sensors import broker_client

log = logging.getLogger(__name__)

RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one attempt failed, and what to do about it."""

    reason: str
    detail: str
    retry_after_s: float | None = None
    permanent: bool = False


def encode(event: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for a message."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None


async def outbox_count(engine: AsyncEngine, *, delivered: bool) -> int:
    """How many messages are delivered (or, ``delivered=False``, still waiting and not dead)."""
    done: sa.ColumnElement[bool]
    if delivered:
        done = outbox.c.delivered_at.is_not(None)
    else:
        done = sa.and_(outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None))
    async with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(outbox).where(done)
        return int((await conn.execute(query)).scalar_one())


async def incidents_delivered(engine: AsyncEngine) -> int:
    """How many incidents 一网管 has acknowledged at least one version of."""
    query = sa.select(sa.func.count(sa.distinct(outbox.c.incident_id))).where(
        outbox.c.destination == YIWANGGUAN, outbox.c.delivered_at.is_not(None)
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


class OutboxPublisher:
    """Drains the outbox to 一网管, grid workers' webhooks and grid MQTT topics."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: DeliverySettings,
        client: httpx.AsyncClient,
        mqtt: MqttSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._client = client
        self._mqtt_settings = mqtt
        self._mqtt: aiomqtt.Client | None = None
        self._mqtt_stack = contextlib.AsyncExitStack()
        self._mqtt_lock = asyncio.Lock()
        self._rng = rng or random.Random()
        self._url = str(settings.endpoint)

    async def run(self) -> None:
        """Poll the outbox and deliver what is due, forever."""
        try:
            while True:
                try:
                    await self.drain_once()
                except sa.exc.SQLAlchemyError as exc:
                    log.error("delivery: outbox unreadable, will retry: %s", exc)
                await asyncio.sleep(self._settings.poll_s)
        finally:
            await self._mqtt_stack.aclose()

    def _due(self, now: datetime) -> sa.Select[Any]:
        earlier = outbox.alias("earlier")
        blocked = (
            sa.select(earlier.c.id)
            .where(
                earlier.c.incident_id == outbox.c.incident_id,
                earlier.c.destination == outbox.c.destination,
                earlier.c.id < outbox.c.id,
                earlier.c.delivered_at.is_(None),
                earlier.c.dead_at.is_(None),
            )
            .exists()
        )
        return (
            sa.select(
                outbox.c.id,
                outbox.c.event_id,
                outbox.c.destination,
                outbox.c.payload,
                outbox.c.attempts,
            )
            .where(
                outbox.c.delivered_at.is_(None),
                outbox.c.dead_at.is_(None),
                outbox.c.next_attempt_at <= now,
                ~blocked,
            )
            .order_by(outbox.c.id)
            .limit(self._settings.batch)
        )

    async def drain_once(self) -> int:
        """Try every due message once, several at a time; returns how many were delivered."""
        async with self._engine.connect() as conn:
            due = (await conn.execute(self._due(datetime.now(UTC)))).all()
            webhooks = await self._webhooks(conn, [r.destination for r in due])
        if not due:
            return 0
        gate = asyncio.Semaphore(self._settings.concurrency)
        down: set[str] = set()

        async def attempt(row: Any) -> tuple[Any, Failure | None]:
            async with gate:
                if row.destination in down:
                    return row, Failure("skipped", "destination unreachable in this round")
                failure = await self._send(row, webhooks)
                if failure is not None and failure.reason in ("unreachable", "timeout"):
                    down.add(row.destination)
                return row, failure

        results = await asyncio.gather(*(attempt(r) for r in due))
        delivered = [row.id for row, failure in results if failure is None]
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            if delivered:
                await conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_(delivered))
                    .values(delivered_at=now, last_error=None)
                )
            for row, failure in results:
                if failure is not None and failure.reason != "skipped":
                    await conn.execute(
                        sa.update(outbox)
                        .where(outbox.c.id == row.id)
                        .values(self._failed(row, failure, now))
                    )
        DELIVERED.inc(len(delivered))
        return len(delivered)

    def _failed(self, row: Any, failure: Failure, now: datetime) -> dict[str, Any]:
        kind = row.destination.split(":", 1)[0]
        error = f"{failure.reason}: {failure.detail}"[:500]
        if failure.permanent:
            DEAD_LETTERS.labels(kind).inc()
            log.error(
                "delivery: %s refused event %s for good (%s); it waits for an operator's replay",
                row.destination,
                row.event_id,
                error,
            )
            return {"attempts": row.attempts + 1, "dead_at": now, "last_error": error}
        DELIVERY_FAILURES.labels(failure.reason).inc()
        s = self._settings
        jitter = full_jitter(row.attempts, s.retry_initial_s, s.retry_max_s, self._rng)
        delay = max(jitter, failure.retry_after_s or 0.0)
        log.warning(
            "delivery: event %s to %s failed (%s), attempt %d, retry in %.1f s",
            row.event_id,
            self._target(row.destination),
            error,
            row.attempts + 1,
            delay,
        )
        return {
            "attempts": row.attempts + 1,
            "next_attempt_at": now + timedelta(seconds=delay),
            "last_error": error,
        }

    def _target(self, destination: str) -> str:
        return f"一网管 {self._url}" if destination == YIWANGGUAN else destination

    async def _webhooks(self, conn: Any, destinations: list[str]) -> dict[str, str]:
        ids = {d.split(":", 1)[1] for d in destinations if d.startswith("webhook:")}
        if not ids:
            return {}
        rows = (
            await conn.execute(
                sa.select(grid_workers.c.id, grid_workers.c.webhook_url).where(
                    grid_workers.c.id.in_(ids)
                )
            )
        ).all()
        return {f"webhook:{r.id}": r.webhook_url for r in rows if r.webhook_url}

    async def _send(self, row: Any, webhooks: dict[str, str]) -> Failure | None:
        body = encode(row.payload)
        if row.destination == YIWANGGUAN:
            return await self._post(self._url, row.event_id, body)
        if row.destination.startswith("webhook:"):
            url = webhooks.get(row.destination)
            if url is None:
                return Failure(
                    "no_webhook", "the worker has no webhook URL any more", permanent=True
                )
            return await self._post(url, row.event_id, body)
        if row.destination.startswith("grid:"):
            return await self._publish(row.destination.split(":", 1)[1], body)
        return Failure("unknown_destination", row.destination, permanent=True)

    async def _post(self, url: str, event_id: str, body: bytes) -> Failure | None:
        headers = {
            "content-type": CONTENT_TYPE,
            "idempotency-key": event_id,
            **signed_headers(self._settings.secret.get_secret_value(), event_id, body),
        }
        try:
            answer = await self._client.post(
                url, content=body, headers=headers, timeout=self._settings.timeout_s
            )
        except httpx.TimeoutException as exc:
            return Failure("timeout", type(exc).__name__)
        except httpx.TransportError as exc:
            return Failure("unreachable", f"{type(exc).__name__}: {exc}")
        if answer.is_success:
            return None
        wait = retry_after(answer.headers.get("retry-after"), datetime.now(UTC))
        detail = f"HTTP {answer.status_code} {answer.text[:160]}"
        if answer.status_code >= 500 or answer.status_code in RETRYABLE_4XX:
            return Failure(f"http_{answer.status_code}", detail, wait)
        return Failure(f"http_{answer.status_code}", detail, permanent=True)

    async def _publish(self, grid_id: str, body: bytes) -> Failure | None:
        if self._mqtt_settings is None:
            return Failure("no_broker", "no MQTT broker configured for grid alerts")
        topic = f"{self._mqtt_settings.topic_prefix}/alerts/grid/{grid_id}"
        client: aiomqtt.Client | None = None
        try:
            async with self._mqtt_lock:  # deliveries run concurrently: one connection for all
                if self._mqtt is None:
                    self._mqtt = await self._mqtt_stack.enter_async_context(
                        broker_client(self._mqtt_settings, "alerts")
                    )
                client = self._mqtt
            await client.publish(topic, body, qos=1, timeout=self._settings.timeout_s)
        except aiomqtt.MqttError as exc:
            async with self._mqtt_lock:
                if self._mqtt is client:  # not already replaced by another delivery
                    await self._mqtt_stack.aclose()
                    self._mqtt_stack = contextlib.AsyncExitStack()
                    self._mqtt = None
            return Failure("unreachable", f"MQTT {topic}: {exc}")
        return None
