"""The MQTT sensor consumer: subscribe, turn messages into Readings, never stop on bad input."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiomqtt

from config.mqtt import MqttSettings
from detectors.model import Reading
from ingest.backoff import Backoff
from ingest.metrics import MQTT_DISCONNECTS, READINGS, READINGS_REJECTED
from ingest.sensor_payload import RejectedMessage, parse_message

log = logging.getLogger(__name__)

ReadingSink = Callable[[Reading], Awaitable[None]]


def broker_client(
    settings: MqttSettings, role: str, *, clean_session: bool = True
) -> aiomqtt.Client:
    """An aiomqtt client for ``settings``; ``role`` makes its client id unique and telling."""
    return aiomqtt.Client(
        settings.host,
        settings.port,
        identifier=f"{settings.client_id}-{role}",
        username=settings.username,
        password=settings.password.get_secret_value() if settings.password else None,
        keepalive=settings.keepalive_s,
        clean_session=clean_session,
    )


class SensorConsumer:
    """Subscribes to every sensor topic and hands each good Reading to ``sink``."""

    def __init__(
        self,
        settings: MqttSettings,
        sink: ReadingSink,
        is_known: Callable[[str], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._is_known = is_known
        self.ready = asyncio.Event()
        """Set while subscribed."""

    async def run(self) -> None:
        """Consume until cancelled; reconnect with backoff when the broker goes away."""
        s = self._settings
        backoff = Backoff(s.reconnect_initial_s, s.reconnect_max_s)
        while True:
            try:
                # A persistent session (clean_session=False) with QoS 1: alarms published
                # while we reconnect wait in the broker for us.
                async with broker_client(s, "sensors", clean_session=False) as client:
                    for channel in ("event", "telemetry", "state"):
                        await client.subscribe(f"{s.topic_prefix}/+/+/{channel}", qos=1)
                    backoff.reset()
                    self.ready.set()
                    log.info("sensors: subscribed at %s:%d", s.host, s.port)
                    async for message in client.messages:
                        await self.handle(str(message.topic), _payload_bytes(message.payload))
            except aiomqtt.MqttError as exc:
                MQTT_DISCONNECTS.inc()
                log.warning("sensors: broker %s:%d unavailable: %s", s.host, s.port, exc)
            finally:
                self.ready.clear()
            await asyncio.sleep(backoff.next_delay())

    async def handle(self, topic: str, payload: bytes) -> Reading | None:
        """Parse one message and pass its Reading on; a bad one is logged and counted."""
        try:
            reading = parse_message(topic, payload, self._settings.topic_prefix, datetime.now(UTC))
            if self._is_known is not None and not self._is_known(reading.device_id):
                raise RejectedMessage(
                    "unknown_device", f"device {reading.device_id} not registered"
                )
        except RejectedMessage as exc:
            READINGS_REJECTED.labels(exc.reason).inc()
            log.warning("sensors: rejected message on %s: %s", topic, exc)
            return None
        READINGS.labels(reading.kind).inc()
        await self._sink(reading)
        return reading


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return str(payload).encode() if payload is not None else b""
