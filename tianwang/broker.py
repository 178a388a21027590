"""The MQTT broker the service talks to: the configured one, or an embedded amqtt broker."""

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from config.mqtt import MqttSettings

log = logging.getLogger(__name__)

RECOMMENDED_CONFIG = Path(__file__).resolve().parent.parent / "config" / "mosquitto.conf"
"""The Mosquitto settings tianwang needs from a broker (queue limits, persistence)."""


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


def private_config(
    recommended: str, host: str, port: int, listener: Sequence[str] = ("allow_anonymous true",)
) -> str:
    """The recommended settings with no persistence file and one listener at host:port,
    followed by ``listener``'s lines (TLS files, a password file...)."""
    lines = [
        line
        for line in recommended.splitlines()
        if not line.startswith(("persistence ", "autosave_interval"))
    ]
    return "\n".join([*lines, "persistence false", f"listener {port} {host}", *listener]) + "\n"


@contextlib.asynccontextmanager
async def private_mosquitto(
    host: str,
    port: int,
    config: Path = RECOMMENDED_CONFIG,
    listener: Sequence[str] = ("allow_anonymous true",),
) -> AsyncIterator[str]:
    """A Mosquitto of our own at host:port with the recommended settings (for benchmarks
    that must not depend on how the machine's broker is configured)."""
    binary = shutil.which("mosquitto")
    if binary is None:
        raise FileNotFoundError("mosquitto is not installed (Debian package mosquitto)")
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(private_config(config.read_text(), host, port, listener))  # noqa: ASYNC240
        log_file = Path(tmp) / "mosquitto.log"
        with log_file.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                binary, "-c", str(conf), stdout=out, stderr=out
            )
        try:
            for _ in range(100):
                if await broker_answers(host, port, 0.2):
                    break
                if process.returncode is not None:
                    said = log_file.read_text(errors="replace")[-500:]
                    raise RuntimeError(f"mosquitto exited with {process.returncode}: {said}")
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"mosquitto did not listen on {host}:{port}")
            yield f"mosquitto {host}:{port} ({config.name})"
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
