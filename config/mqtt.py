"""MQTT broker connection settings (sensors in, grid-worker alerts out)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from config.base import Section


class MqttTls(Section):
    """TLS towards the broker (off by default; the county broker on 8883 wants it)."""

    enabled: bool = Field(False, description="Connect with TLS.")
    ca_file: Path | None = Field(None, description="CA bundle; the system store when unset.")
    cert_file: Path | None = Field(None, description="Client certificate (mutual TLS).")
    key_file: Path | None = Field(None, description="Client key (mutual TLS).")
    insecure: bool = Field(
        False, description="Skip host-name verification (test brokers only; never in production)."
    )


class MqttSettings(Section):
    """Where the MQTT broker is and how tianwang talks to it."""

    host: str = Field("127.0.0.1", description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port.")
    embedded: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Start an in-process broker (amqtt): 'auto' only when nothing answers "
        "at host:port, 'always', or 'never'.",
    )
    username: str | None = Field(None, description="Broker user name, if the broker wants one.")
    password: SecretStr | None = Field(None, description="Broker password (never logged).")
    tls: MqttTls = MqttTls()
    client_id: str = Field("tianwang", min_length=1, description="MQTT client id prefix.")
    topic_prefix: str = Field("tianwang/v1", description="Root of every topic tianwang uses.")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive interval.")
    reconnect_initial_s: float = Field(0.5, gt=0, le=60, description="First reconnect delay.")
    reconnect_max_s: float = Field(30.0, gt=0, le=600, description="Cap of the reconnect delay.")
    version: Literal["5", "3.1.1"] = Field(
        "5",
        description="MQTT protocol version. With '5' a broker that refuses it (amqtt 0.12) is "
        "retried with 3.1.1, and the log says so.",
    )
    shared_group: str | None = Field(
        "tianwang",
        pattern=r"^[^/#+]+$",
        description="MQTT 5 shared-subscription group ($share/<group>/...): tianwang processes "
        "in one group split the sensor messages. None: every process gets every message.",
    )
    session_expiry_s: int = Field(
        86_400,
        ge=0,
        le=4_294_967_295,
        description="How long the broker keeps the consumer's session (and the QoS 1 alarms "
        "queued for it) while tianwang is away (MQTT 5 session expiry interval).",
    )
    telemetry_qos: Literal[0, 1] = Field(
        1, description="QoS of the telemetry subscription; event and state are always QoS 1."
    )
    max_inflight: int = Field(
        100, ge=1, le=65535, description="Unacknowledged QoS 1 messages the broker may send us."
    )
