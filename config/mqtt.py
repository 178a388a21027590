"""MQTT broker connection settings (sensors in, grid-worker alerts out)."""

from typing import Literal

from pydantic import Field, SecretStr

from config.base import Section


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
    client_id: str = Field("tianwang", min_length=1, description="MQTT client id prefix.")
    topic_prefix: str = Field("tianwang/v1", description="Root of every topic tianwang uses.")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive interval.")
    reconnect_initial_s: float = Field(0.5, gt=0, le=60, description="First reconnect delay.")
    reconnect_max_s: float = Field(30.0, gt=0, le=600, description="Cap of the reconnect delay.")
