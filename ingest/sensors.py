"""The MQTT sensor consumer: subscribe, turn messages into Readings, never stop on bad input.

MQTT 5 by default: a persistent session (clean start off, a session expiry interval) with
QoS 1 on alarm and state topics, so alarms published while tianwang restarts wait in the
broker; shared subscriptions (``$share/{group}/...``) so several tianwang processes split
the sensors. A broker that refuses MQTT 5 (amqtt 0.12 speaks only 3.1.1) gets 3.1.1 with a
persistent session and plain subscriptions, and the log says so.
"""

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal

import aiomqtt
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.matcher import MQTTMatcher
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from prometheus_client import Counter

from config.mqtt import MqttSettings
from detectors.model import Reading
from ingest.backoff import Backoff
from ingest.dead_letters import DeadLetters
from ingest.metrics import MQTT_DISCONNECTS, READINGS, READINGS_REJECTED
from ingest.mqtt_socket import HeldReads, buffer_reads
from ingest.paho_properties import install as share_property_tables
from ingest.sensor_payload import RejectedMessage
from ingest.sensor_profiles import ProfileSet

log = logging.getLogger(__name__)

ReadingSink = Callable[[Reading], Awaitable[None]]
MqttVersion = Literal["5", "3.1.1"]
_REJECT_LOGS_PER_MINUTE = 20
YIELD_EVERY = 32
"""Messages a lane handles before it lets the event loop run the other lane."""

share_property_tables()


def tls_parameters(settings: MqttSettings) -> aiomqtt.TLSParameters | None:
    """TLS towards the broker, from settings; None when TLS is off."""
    tls = settings.tls
    if not tls.enabled:
        return None
    return aiomqtt.TLSParameters(
        ca_certs=str(tls.ca_file) if tls.ca_file else None,
        certfile=str(tls.cert_file) if tls.cert_file else None,
        keyfile=str(tls.key_file) if tls.key_file else None,
        cert_reqs=ssl.CERT_REQUIRED,
    )


def broker_client(
    settings: MqttSettings,
    role: str,
    *,
    clean_session: bool = True,
    version: MqttVersion = "3.1.1",
    timeout_s: float = 10.0,
) -> aiomqtt.Client:
    """An aiomqtt client for ``settings``; ``role`` makes its client id unique and telling.

    ``clean_session=False`` asks for a persistent session: in MQTT 5 clean start off and the
    configured session expiry interval. Publishers keep 3.1.1 unless told, which every broker
    we meet (including the embedded amqtt) accepts.
    """
    common = {
        "identifier": f"{settings.client_id}-{role}",
        "username": settings.username,
        "password": settings.password.get_secret_value() if settings.password else None,
        "keepalive": settings.keepalive_s,
        "tls_params": tls_parameters(settings),
        "tls_insecure": settings.tls.insecure if settings.tls.enabled else None,
        "max_inflight_messages": settings.max_inflight,
        "timeout": timeout_s,
    }
    if version == "5":
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 0 if clean_session else settings.session_expiry_s
        properties.ReceiveMaximum = settings.max_inflight
        return aiomqtt.Client(
            settings.host,
            settings.port,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=clean_session,
            properties=properties,
            **common,  # type: ignore[arg-type]
        )
    return aiomqtt.Client(
        settings.host,
        settings.port,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=clean_session,
        **common,  # type: ignore[arg-type]
    )


async def spoken_version(
    settings: MqttSettings, timeout_s: float = 3.0
) -> tuple[MqttVersion | None, str]:
    """The protocol the broker speaks: "5" when it takes an MQTT 5 CONNECT, else "3.1.1" when it
    takes that, None when it takes neither (down, or refusing our credentials), with the
    broker's last word. amqtt 0.12 never answers an MQTT 5 CONNECT, hence the short timeout.
    The probe uses its own client id, so no session is touched."""
    said = ""
    for version in ("5", "3.1.1"):
        try:
            async with broker_client(settings, "probe", version=version, timeout_s=timeout_s):
                return version, ""
        except aiomqtt.MqttError as exc:
            said = str(exc)
    return None, said


def manual_acks(client: aiomqtt.Client) -> Callable[[aiomqtt.Message], None]:
    """Switch ``client`` to acknowledging QoS 1 messages only when we say so; returns the ack.

    paho acknowledges a message as soon as aiomqtt has queued it, so a crash before the
    message is handled would lose it. aiomqtt 2.5 has no public switch yet (issue #345,
    PR #346); paho's own ``manual_ack_set``/``ack`` are what that PR wires up.
    """
    paho = client._client
    paho.manual_ack_set(True)

    def acknowledge(message: aiomqtt.Message) -> None:
        if message.qos > 0:
            paho.ack(message.mid, message.qos)

    return acknowledge


class _NoTopicCallbacks(MQTTMatcher):
    """Stands in for paho's table of per-topic callbacks, which aiomqtt never fills: paho
    still splits every message's topic and walks the empty tree (a tenth of the consumer's
    CPU under load)."""

    def iter_match(self, topic: str) -> Iterator[Any]:
        return iter(())


def skip_topic_callbacks(client: aiomqtt.Client) -> None:
    """Tell paho there are no per-topic callbacks to look for (aiomqtt uses ``on_message``)."""
    client._client._on_message_filtered = _NoTopicCallbacks()  # type: ignore[no-untyped-call]


class SensorConsumer:
    """Subscribes to every sensor topic and hands each good Reading to ``sink``.

    A message that yields no Reading (bad topic or payload, unknown device, absurd value) is
    counted by reason in ``tianwang_sensor_readings_rejected`` and, given ``dead_letters``,
    stored with its raw bytes.
    """

    def __init__(
        self,
        settings: MqttSettings,
        sink: ReadingSink,
        is_known: Callable[[str], bool] | None = None,
        *,
        profiles: ProfileSet | None = None,
        dead_letters: DeadLetters | None = None,
        role: str = "sensors",
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._is_known = is_known
        self._profiles = profiles or ProfileSet(settings.topic_prefix)
        self._dead_letters = dead_letters
        self._role = role
        self._accepted: dict[str, Counter] = {}
        self._reject_log_minute = 0
        self._reject_logged = 0
        self.version: MqttVersion = settings.version
        """The protocol version in use (3.1.1 after a fallback)."""
        self.ready = asyncio.Event()
        """Set while subscribed."""
        self._alarms_in_hand = 0
        self._alarms_handled = asyncio.Event()
        self._alarms_handled.set()
        self._bulk_reads: HeldReads | None = None

    async def run(self) -> None:
        """Consume until cancelled, in two lanes; each reconnects with backoff on its own.

        Alarms and availability (``event``, ``state``) have a connection of their own, so an
        alarm never waits in the broker or the socket behind a burst of telemetry; telemetry
        and the profiles' topics share the other.
        """
        s = self._settings
        if s.version == "5":
            spoken = None
            backoff = Backoff(s.reconnect_initial_s, s.reconnect_max_s)
            while spoken is None:
                spoken, said = await spoken_version(s)
                if spoken is None:
                    MQTT_DISCONNECTS.inc()
                    log.warning("sensors: broker %s:%d unavailable: %s", s.host, s.port, said)
                    await asyncio.sleep(backoff.next_delay())
            if spoken == "3.1.1":
                self._fall_back()
        subscriptions = self._profiles.subscriptions()
        alarms = [(t, telemetry) for t, telemetry, priority in subscriptions if priority]
        bulk = [(t, telemetry) for t, telemetry, priority in subscriptions if not priority]
        lanes = {f"{self._role}-alarms": alarms, f"{self._role}-bulk": bulk}
        subscribed = [asyncio.Event() for _ in lanes]
        try:
            async with asyncio.TaskGroup() as group:
                for (role, filters), ready in zip(lanes.items(), subscribed, strict=True):
                    urgent = filters is alarms
                    group.create_task(self._lane(role, filters, ready, subscribed, urgent=urgent))
        finally:
            self.ready.clear()

    async def _lane(
        self,
        role: str,
        filters: list[tuple[str, bool]],
        ready: asyncio.Event,
        lanes: list[asyncio.Event],
        *,
        urgent: bool,
    ) -> None:
        s = self._settings
        backoff = Backoff(s.reconnect_initial_s, s.reconnect_max_s)
        while True:
            try:
                client = broker_client(s, role, clean_session=False, version=self.version)
                acknowledge = manual_acks(client)  # before connecting: queued messages come at once
                skip_topic_callbacks(client)
                async with client:
                    buffer_reads(client)
                    if not urgent:
                        self._bulk_reads = HeldReads(client)
                        self._bulk_reads.install()
                    await self._subscribe(client, filters)
                    backoff.reset()
                    ready.set()
                    if all(lane.is_set() for lane in lanes):
                        self.ready.set()
                    async for burst in bursts(client):
                        async with self._urgency(urgent):
                            for message in burst:
                                topic, payload = message.topic.value, message.payload
                                await self.handle(topic, _payload_bytes(payload))
                        # Handled (an alarm committed) before acknowledged, as a batch.
                        for message in burst:
                            acknowledge(message)
                        if not urgent:
                            await self._alarms_handled.wait()  # alarms go first
                        # A burst read in one go is queued whole; let the other lane in.
                        await asyncio.sleep(0)
            except MqttConnectError as exc:
                MQTT_DISCONNECTS.inc()
                log.warning("sensors: broker %s:%d refused %s: %s", s.host, s.port, role, exc)
            except aiomqtt.MqttError as exc:
                MQTT_DISCONNECTS.inc()
                log.warning("sensors: broker %s:%d unavailable (%s): %s", s.host, s.port, role, exc)
            finally:
                ready.clear()
                self.ready.clear()
                if not urgent:
                    self._bulk_reads = None  # its socket number may soon be another's
            await asyncio.sleep(backoff.next_delay())

    @contextlib.asynccontextmanager
    async def _urgency(self, urgent: bool) -> AsyncIterator[None]:
        """While the alarm lane handles a burst, the bulk lane waits between its bursts and
        its socket is not read.

        Handling an alarm awaits its incident's commit some 28 times on SQLite (a thread
        hand-off each); without this, each of those waits lets a burst of telemetry run
        first, or a 32 KB read of it be parsed.
        """
        if not urgent:
            yield
            return
        self._alarms_in_hand += 1
        self._alarms_handled.clear()
        if self._bulk_reads is not None:
            self._bulk_reads.hold()
        try:
            yield
        finally:
            self._alarms_in_hand -= 1
            if self._alarms_in_hand == 0:
                self._alarms_handled.set()
                if self._bulk_reads is not None:
                    self._bulk_reads.release()

    def _fall_back(self) -> None:
        s = self._settings
        self.version = "3.1.1"
        log.warning(
            "sensors: broker %s:%d does not speak MQTT 5; falling back to MQTT 3.1.1 "
            "(persistent session kept, no shared subscriptions: run one consumer)",
            s.host,
            s.port,
        )

    async def _subscribe(self, client: aiomqtt.Client, topics: list[tuple[str, bool]]) -> None:
        s = self._settings
        shared = self.version == "5" and s.shared_group is not None
        filters = []
        for topic, telemetry in topics:
            qos = s.telemetry_qos if telemetry else 1
            name = f"$share/{s.shared_group}/{topic}" if shared else topic
            filters.append((name, SubscribeOptions(qos=qos) if self.version == "5" else qos))
        await client.subscribe(filters)  # type: ignore[arg-type]
        log.info(
            "sensors: %s subscribed at %s:%d with MQTT %s%s (%d filters)",
            client.identifier,
            s.host,
            s.port,
            self.version,
            f", shared group {s.shared_group!r}" if shared else "",
            len(filters),
        )

    async def handle(self, topic: str, payload: bytes) -> list[Reading]:
        """Parse one message and pass its Readings on; a bad one is counted and set aside."""
        try:
            readings = self._profiles.parse(topic, payload, datetime.now(UTC))
            if self._is_known is not None:
                for reading in readings:
                    if not self._is_known(reading.device_id):
                        raise RejectedMessage(
                            "unknown_device", f"device {reading.device_id:.64} not registered"
                        )
        except RejectedMessage as exc:
            self._reject(topic, payload, exc)
            return []
        for reading in readings:
            counter = self._accepted.get(reading.kind)
            if counter is None:
                counter = self._accepted[reading.kind] = READINGS.labels(reading.kind)
            counter.inc()
            await self._sink(reading)
        return readings

    def _reject(self, topic: str, payload: bytes, exc: RejectedMessage) -> None:
        READINGS_REJECTED.labels(exc.reason).inc()
        if self._dead_letters is not None:
            self._dead_letters.add(topic, payload, exc.reason, exc.detail)
        minute = int(time.monotonic() // 60)
        if minute != self._reject_log_minute:
            self._reject_log_minute, self._reject_logged = minute, 0
        self._reject_logged += 1
        # A flood of bad payloads must not become a flood of log lines.
        if self._reject_logged <= _REJECT_LOGS_PER_MINUTE:
            log.warning("sensors: rejected message on %.200s: %s", topic, exc)


async def bursts(
    client: aiomqtt.Client, most: int = YIELD_EVERY
) -> AsyncIterator[list[aiomqtt.Message]]:
    """The client's messages in bursts of up to ``most``: one wait for the first, then what is
    already queued, taken without waiting.

    aiomqtt's iterator creates a task and an ``asyncio.wait`` per message to watch for a
    disconnect alongside; a burst pays that once. A disconnect still ends the iteration with
    aiomqtt's ``MqttError`` at the next wait.
    """
    queue: asyncio.Queue[aiomqtt.Message] = client._queue
    async for first in client.messages:
        burst = [first]
        while len(burst) < most and not queue.empty():
            burst.append(queue.get_nowait())
        yield burst


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return str(payload).encode() if payload is not None else b""
