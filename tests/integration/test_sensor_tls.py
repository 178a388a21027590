"""The consumer towards a broker that wants TLS and a password (as the county's broker on
8883 does): a private Mosquitto with a CA of this test's own."""

import asyncio
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.mqtt import MqttSettings, MqttTls
from detectors.model import Reading
from ingest.sensors import SensorConsumer, broker_client
from simulator.ports import free_port
from tianwang.broker import private_mosquitto

pytestmark = pytest.mark.integration

USER, PASSWORD = "tianwang", "s3cret-只此一次"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture
def tls_files() -> Iterator[Path]:
    """A CA, a server certificate for 127.0.0.1 signed by it, and a password file, in a folder
    Mosquitto can still read after it drops root."""
    missing = [
        tool for tool in ("mosquitto", "openssl", "mosquitto_passwd") if not shutil.which(tool)
    ]
    if missing:
        pytest.skip(f"SERVICE MISSING: {', '.join(missing)} (Debian packages mosquitto, openssl)")
    folder = Path(tempfile.mkdtemp(prefix="tw-tls-"))
    folder.chmod(0o755)
    ca, key, csr, crt = (folder / n for n in ("ca.crt", "server.key", "server.csr", "server.crt"))
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(folder / "ca.key"), "-out", str(ca), "-subj", "/CN=tianwang test CA")  # fmt: skip
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(csr), "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey",
         str(folder / "ca.key"), "-CAcreateserial", "-days", "2", "-out", str(crt),
         "-extfile", str(folder / "san.ext"))  # fmt: skip
    _run("mosquitto_passwd", "-b", "-c", str(folder / "passwords"), USER, PASSWORD)
    for path in folder.iterdir():
        path.chmod(0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _settings(port: int, folder: Path, password: str) -> MqttSettings:
    tag = uuid.uuid4().hex[:8]
    return MqttSettings(
        host="127.0.0.1",
        port=port,
        embedded="never",
        username=USER,
        password=SecretStr(password),
        tls=MqttTls(enabled=True, ca_file=folder / "ca.crt"),
        client_id=f"tw-tls-{tag}",
        topic_prefix=f"tianwang-tls-{tag}/v1",
        reconnect_initial_s=0.2,
        reconnect_max_s=1.0,
    )


async def test_alarms_arrive_over_tls_with_a_password_and_a_wrong_one_is_refused_without_a_crash(
    tls_files: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    listener = [
        f"cafile {tls_files / 'ca.crt'}",
        f"certfile {tls_files / 'server.crt'}",
        f"keyfile {tls_files / 'server.key'}",
        "allow_anonymous false",
        f"password_file {tls_files / 'passwords'}",
    ]
    readings: list[Reading] = []

    async def sink(reading: Reading) -> None:
        readings.append(reading)

    async with private_mosquitto("127.0.0.1", port, listener=listener):
        wrong = SensorConsumer(_settings(port, tls_files, "not-the-password"), sink)
        refused = asyncio.create_task(wrong.run())
        good_settings = _settings(port, tls_files, PASSWORD)
        consumer = SensorConsumer(good_settings, sink, {"smk-1"}.__contains__)
        task = asyncio.create_task(consumer.run())
        try:
            await asyncio.wait_for(consumer.ready.wait(), 20)
            async with broker_client(good_settings, "publisher") as client:
                topic = f"{good_settings.topic_prefix}/smoke/smk-1/event"
                await client.publish(topic, b'{"value": "alarm"}', qos=1)
            async with asyncio.timeout(10):
                while not readings:
                    await asyncio.sleep(0.05)
            assert readings[0].device_id == "smk-1" and readings[0].value == "alarm"
            assert not wrong.ready.is_set() and not refused.done()  # refused, retrying, alive
            assert "authori" in caplog.text.lower()  # the broker's reason is in the log
        finally:
            for running in (task, refused):
                running.cancel()
            await asyncio.gather(task, refused, return_exceptions=True)
