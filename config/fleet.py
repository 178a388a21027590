"""Fleet settings: camera leases shared by `tianwang worker` processes through the database."""

from typing import Self

from pydantic import Field, model_validator

from config.base import Section


class FleetSettings(Section):
    """How workers share the cameras (camera_registry/leases.py) and the publisher's lock."""

    worker_name: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="This worker's name, unique in the fleet; default: the host name.",
    )
    capacity: int = Field(
        1067, ge=0, le=100_000, description="Most cameras this worker analyses at once."
    )
    lease_s: float = Field(
        10.0,
        ge=2,
        le=300,
        description="A camera lease not renewed for this long is free for another worker "
        "(a dead worker's cameras move within lease_s + renew_s).",
    )
    renew_s: float = Field(
        2.0, gt=0, le=60, description="How often leases are renewed and free cameras claimed."
    )
    rebalance_step: int = Field(
        10,
        ge=1,
        le=10_000,
        description="Cameras a worker above its fair share releases per round (gentle rebalance).",
    )
    claim_step: int = Field(
        50,
        ge=1,
        le=10_000,
        description="Cameras a worker claims (and starts) at most per round, so a worker "
        "coming up to hundreds of cameras keeps renewing what it holds.",
    )
    local_workers: int = Field(
        0,
        ge=0,
        le=256,
        description="Camera worker processes `tianwang serve` runs on this machine, itself "
        "included (they share the cameras by lease). 0: one per core.",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="A camera worker without the API (`tianwang worker`, serve's local "
        "workers) serves its own Prometheus /metrics here, no token, on `metrics_host`; "
        "serve's local worker n uses this port + n. None: off.",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Address of a worker's own /metrics (see metrics_port)."
    )
    publisher_lock_key: int = Field(
        0x7469616E77616E,  # "tianwan"
        description="PostgreSQL advisory lock key held by the one process draining the outbox.",
    )

    @model_validator(mode="after")
    def _renew_within_lease(self) -> Self:
        if self.renew_s * 2 > self.lease_s:
            raise ValueError("fleet.renew_s must be at most half of fleet.lease_s")
        return self
