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
    return Reading(
        device_id=device_id,
        kind=_text(body.get("kind", device_type), "kind"),
        value=_value(body["value"]),
        at=_time(body.get("ts"), now),
        unit=None if body.get("unit") is None else _text(body["unit"], "unit"),
        battery=None if body.get("battery") is None else _battery(body["battery"]),
    )


def _split_topic(topic: str, prefix: str) -> tuple[str, str, str]:
    parts = topic.split("/")
    root = prefix.split("/")
    if len(parts) != len(root) + 3 or parts[: len(root)] != root or parts[-1] not in CHANNELS:
        raise RejectedMessage("bad_topic", f"expected {prefix}/<type>/<id>/<channel>: {topic}")
    device_type, device_id = parts[len(root)], parts[len(root) + 1]
    if not device_type or not device_id:
        raise RejectedMessage("bad_topic", f"empty device type or id: {topic}")
    return device_type, device_id, parts[-1]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise RejectedMessage("bad_field", f"{name} must be a short string, got {value!r:.40}")
    return value


def _value(value: Any) -> float | bool | str:
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


def _battery(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise RejectedMessage("bad_field", f"battery must be 0..100 %, got {value!r:.40}")
    return float(value)


def _time(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            at = datetime.fromtimestamp(value, UTC)
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
