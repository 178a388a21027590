"""What crosses a process or a network: a Reading from a sensor, a Detection of an event.

Frames never leave the process that decoded them; these small records do.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SourceKind = Literal["camera", "sensor"]
SNAPSHOT = "evidence.snapshot"
"""The kind of a Detection that is only a picture asked for (e.g. on a sensor alarm)."""

Box = tuple[float, float, float, float]
"""x, y, width, height, normalised to [0, 1] of the picture; x right, y down."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One value from one building sensor, as the MQTT consumer understood it."""

    device_id: str
    kind: str
    value: float | bool | str
    at: datetime
    unit: str | None = None
    battery: float | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """What a frame detector confirmed, before ingest names the camera and stores a snapshot."""

    kind: str
    confidence: float
    box: Box | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    zone: str | None = None
    """The analytics zone the event is in (禁停区, 环卫区, a lane), when it has one."""


@dataclass(frozen=True, slots=True)
class Detection:
    """An event seen by one camera or one sensor at one moment; incidents are made of these."""

    kind: str
    source_kind: SourceKind
    source_id: str
    at: datetime
    confidence: float
    box: Box | None = None
    snapshot: str | None = None
    reading: Reading | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    epoch: int = 0
    """Fencing epoch of the camera lease the detection was made under (0 when unleased)."""
    evidence_for: str | None = None
    """For a snapshot: the kind of the camera's own incident it shows (None: the fire-family
    incident of a place the camera looks at)."""
