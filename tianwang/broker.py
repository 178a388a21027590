"""The MQTT broker the service talks to: the configured one, or an embedded amqtt broker."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from config.mqtt import MqttSettings

log = logging.getLogger(__name__)


async def broker_answers(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when something accepts a TCP connection at host:port."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


@contextlib.asynccontextmanager
async def mqtt_broker(settings: MqttSettings) -> AsyncIterator[str]:
    """Yields "external" when a broker answers (or embedding is off), else runs amqtt in-process."""
    if settings.embedded == "never" or (
        settings.embedded == "auto" and await broker_answers(settings.host, settings.port)
    ):
        yield "external"
        return
    from amqtt.broker import Broker  # imported only when embedding

    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"{settings.host}:{settings.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    log.warning(
        "no MQTT broker answered at %s:%d: running an embedded amqtt broker there",
        settings.host,
        settings.port,
    )
    try:
        yield "embedded"
    finally:
        await broker.shutdown()
