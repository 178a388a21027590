"""Delivery settings: where incidents go (一网管) and how hard we try."""

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr

from config.base import Section


class DeliverySettings(Section):
    """The 一网管 endpoint, signing secret and retry policy of the outbox publisher."""

    endpoint: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:8900/events"), description="一网管 event intake URL."
    )
    secret: SecretStr = Field(
        SecretStr("whsec_ZGVqaWFuZy1kZW1vLXNlY3JldC1jaGFuZ2UtbWU="),
        description="Standard Webhooks signing secret, 'whsec_' + base64; change it.",
    )
    source: str = Field("urn:tianwang:dejiang", description="CloudEvents 'source' attribute.")
    timeout_s: float = Field(5.0, gt=0, le=120, description="HTTP timeout per attempt.")
    poll_s: float = Field(0.5, gt=0, le=60, description="How often the outbox is polled.")
    retry_initial_s: float = Field(1.0, gt=0, le=600, description="First retry delay.")
    retry_max_s: float = Field(300.0, gt=0, le=86400, description="Cap of the retry delay.")
    batch: int = Field(100, ge=1, le=1000, description="Outbox rows taken per poll.")
    concurrency: int = Field(8, ge=1, le=256, description="Messages in flight at once.")
    cap_status: Literal["Actual", "Exercise", "Test"] = Field(
        "Actual", description="CAP status stamped on every message (the demo sends Exercise)."
    )
