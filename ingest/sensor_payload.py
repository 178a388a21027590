"""Turning one MQTT message into a Reading, or a clear reason why not.

Default topic scheme: ``{prefix}/{device_type}/{device_id}/{event|telemetry|state}``.
Payload: a JSON object ``{"value": ..., "kind"?, "unit"?, "ts"?, "battery"?}``; ``kind``
defaults to the topic's device type, ``ts`` (ISO 8601 or Unix seconds) to arrival time.
A ``state`` message may also be the bare word ``online``/``offline`` (the last will).
"""

import json
import math
from datetime import UTC, datetime
from typing import Any

from detectors.model import Reading

MAX_PAYLOAD_BYTES = 64 * 1024
CHANNELS = ("event", "telemetry", "state")
KIND_LIMITS: dict[str, tuple[float, float]] = {
    "heat": (-50.0, 300.0),  # °C: a heat detector melts long before 300
    "temperature": (-50.0, 300.0),
    "smoke": (0.0, 100.0),  # obscuration %/m
    "gas": (0.0, 100.0),  # % of the lower explosive limit
    "bin": (0.0, 100.0),  # fill %
    "humidity": (0.0, 100.0),
    "water": (0.0, 10_000.0),  # mm above the floor probe
}
"""Numbers outside these ranges are faults, not fires: they go to dead letters."""


class RejectedMessage(ValueError):
    """A message that yields no Reading; ``reason`` is a short label used for counting."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def parse_message(topic: str, payload: bytes, prefix: str, now: datetime) -> Reading:
    """The Reading in one message; raises RejectedMessage with the reason otherwise."""
    device_type, device_id, channel = _split_topic(topic, prefix)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise RejectedMessage("too_large", f"{len(payload)} bytes")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise RejectedMessage("not_utf8", str(exc)) from exc
    if channel == "state" and text in ("online", "offline"):
        return Reading(device_id=device_id, kind="state", value=text, at=now)
    try:
        body: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RejectedMessage("not_json", f"{exc.msg} at {exc.pos}") from exc
    if not isinstance(body, dict):
        raise RejectedMessage("not_object", f"payload is a JSON {type(body).__name__}")
    if "value" not in body:
        raise RejectedMessage("missing_value", "no 'value' field")
    return plausible(
        Reading(
            device_id=device_id,
            kind=text_field(body.get("kind", device_type), "kind"),
            value=reading_value(body["value"]),
            at=reading_time(body.get("ts"), now),
            unit=None if body.get("unit") is None else text_field(body["unit"], "unit"),
            battery=None if body.get("battery") is None else battery_level(body["battery"]),
        )
    )


def plausible(reading: Reading) -> Reading:
    """``reading`` when its number is possible for its kind; RejectedMessage("absurd_value")."""
    limits = KIND_LIMITS.get(reading.kind)
    value = reading.value
    if limits is not None and not isinstance(value, bool | str):
        low, high = limits
        if not low <= value <= high:
            raise RejectedMessage(
                "absurd_value", f"{reading.kind} value {value} outside {low}..{high}"
            )
    return reading


def _split_topic(topic: str, prefix: str) -> tuple[str, str, str]:
    parts = topic.split("/")
    root = prefix.split("/")
    if len(parts) != len(root) + 3 or parts[: len(root)] != root or parts[-1] not in CHANNELS:
        raise RejectedMessage("bad_topic", f"expected {prefix}/<type>/<id>/<channel>: {topic}")
    device_type, device_id = parts[len(root)], parts[len(root) + 1]
    if not device_type or not device_id:
        raise RejectedMessage("bad_topic", f"empty device type or id: {topic}")
    return device_type, device_id, parts[-1]


def text_field(value: Any, name: str) -> str:
    """A short non-empty string field, or RejectedMessage("bad_field")."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise RejectedMessage("bad_field", f"{name} must be a short string, got {value!r:.40}")
    return value


def reading_value(value: Any) -> float | bool | str:
    """A number, boolean or short string, or RejectedMessage."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > 1e9:
            raise RejectedMessage("absurd_value", f"value {value!r} is out of range")
        return float(value)
    if isinstance(value, str) and len(value) <= 64:
        return value
    raise RejectedMessage(
        "bad_value", f"value must be a number, boolean or short string: {value!r:.40}"
    )


def battery_level(value: Any) -> float:
    """A battery level 0..100 %, or RejectedMessage("bad_field")."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise RejectedMessage("bad_field", f"battery must be 0..100 %, got {value!r:.40}")
    return float(value)


def reading_time(value: Any, now: datetime) -> datetime:
    """ISO 8601 or Unix seconds (milliseconds above 1e11) within a week of ``now``."""
    if value is None:
        return now
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            at = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        elif isinstance(value, str):
            at = datetime.fromisoformat(value)
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
        else:
            raise TypeError(type(value).__name__)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise RejectedMessage("bad_time", f"ts {value!r:.40} is not a time: {exc}") from exc
    if abs((at - now).total_seconds()) > 7 * 86400:
        raise RejectedMessage("bad_time", f"ts {at.isoformat()} is more than a week from now")
    return at.astimezone(UTC)
