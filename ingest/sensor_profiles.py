"""Sensor profiles: how a fleet that does not speak the default scheme maps to Readings.

A profile names a topic pattern and a payload format (config/sensors.py): plain JSON with
field paths, SenML (RFC 8428), or Home Assistant-style bare state topics. ``ProfileSet``
turns one message into its Readings, trying the default scheme first, then each profile.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.sensors import HomeAssistantProfile, JsonProfile, SenmlProfile, SensorProfile
from detectors.model import Reading
from ingest.sensor_payload import (
    CHANNELS,
    MAX_PAYLOAD_BYTES,
    RejectedMessage,
    battery_level,
    parse_message,
    plausible,
    reading_time,
    reading_value,
    text_field,
)


@dataclass(frozen=True, slots=True)
class TopicPattern:
    """A topic pattern with ``{name}`` levels captured, ``+`` and a final ``#`` as in MQTT."""

    levels: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str) -> "TopicPattern":
        """The pattern of a profile's ``topic`` string."""
        return cls(tuple(pattern.split("/")))

    @property
    def subscription(self) -> str:
        """The MQTT topic filter that receives every matching topic."""
        return "/".join("+" if lv.startswith("{") else lv for lv in self.levels)

    def match(self, topic: str) -> dict[str, str] | None:
        """The captured levels when ``topic`` matches, else None."""
        parts = topic.split("/")
        levels = self.levels
        if levels[-1] == "#":
            if len(parts) < len(levels) - 1:
                return None
        elif len(parts) != len(levels):
            return None
        captured: dict[str, str] = {}
        for level, part in zip(levels, parts, strict=False):
            if level == "#":
                break
            if level.startswith("{") and level.endswith("}"):
                if not part:
                    return None
                captured[level[1:-1]] = part
            elif level != "+" and level != part:
                return None
        return captured


def field_at(body: Any, path: str) -> Any:
    """The value at a dotted path (``data.temp``, ``values.0``) or None when absent."""
    node = body
    for key in path.split("."):
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise RejectedMessage("too_large", f"{len(payload)} bytes")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise RejectedMessage("not_utf8", str(exc)) from exc


def _json(payload: bytes) -> Any:
    try:
        return json.loads(_text(payload))
    except json.JSONDecodeError as exc:
        raise RejectedMessage("not_json", f"{exc.msg} at {exc.pos}") from exc


def _device(captured: dict[str, str], body_id: Any = None) -> str:
    device_id = body_id if body_id is not None else captured.get("device_id")
    if device_id is None:
        raise RejectedMessage("profile_mismatch", "no device id in topic or payload")
    return text_field(str(device_id) if isinstance(device_id, int) else device_id, "device_id")


def parse_json(
    profile: JsonProfile, captured: dict[str, str], payload: bytes, now: datetime
) -> list[Reading]:
    """The Reading in a plain JSON payload, found by the profile's field paths."""
    body = _json(payload)
    if not isinstance(body, dict):
        raise RejectedMessage("not_object", f"payload is a JSON {type(body).__name__}")
    value = field_at(body, profile.value)
    if value is None:
        raise RejectedMessage("missing_value", f"no value at '{profile.value}'")
    kind = field_at(body, profile.kind_field) if profile.kind_field else None
    unit = field_at(body, profile.unit) if profile.unit else None
    battery = field_at(body, profile.battery) if profile.battery else None
    reading = Reading(
        device_id=_device(
            captured, field_at(body, profile.device_id) if profile.device_id else None
        ),
        kind=text_field(kind or captured.get("kind") or profile.kind, "kind"),
        value=reading_value(value),
        at=reading_time(field_at(body, profile.time) if profile.time else None, now),
        unit=None if unit is None else text_field(unit, "unit"),
        battery=None if battery is None else battery_level(battery),
    )
    return [plausible(reading)]


def parse_senml(
    profile: SenmlProfile, captured: dict[str, str], payload: bytes, now: datetime
) -> list[Reading]:
    """The Readings of a SenML pack (RFC 8428 JSON): base fields carried forward, names mapped."""
    pack = _json(payload)
    if not isinstance(pack, list) or not pack:
        raise RejectedMessage("not_senml", "a SenML pack is a non-empty JSON array")
    base_name, base_time, base_unit = "", 0.0, None
    found: list[tuple[str, str, Any, float, Any]] = []
    battery: float | None = None
    for record in pack:
        if not isinstance(record, dict):
            raise RejectedMessage("not_senml", "a SenML record is a JSON object")
        base_name = record.get("bn", base_name)
        base_time = record.get("bt", base_time)
        base_unit = record.get("bu", base_unit)
        if not isinstance(base_name, str) or not _number(base_time):
            raise RejectedMessage("not_senml", "bn must be a string and bt a number")
        name = record.get("n", "")
        if not isinstance(name, str):
            raise RejectedMessage("not_senml", "n must be a string")
        values = [k for k in ("v", "vb", "vs") if k in record]
        if len(values) != 1:
            raise RejectedMessage("not_senml", "each record carries exactly one of v, vb, vs")
        t = record.get("t", 0.0)
        if not _number(t):
            raise RejectedMessage("not_senml", "t must be a number")
        full_name = base_name + name
        if name == profile.battery_name or full_name.endswith(profile.battery_name):
            battery = battery_level(record[values[0]])
            continue
        found.append(
            (full_name, name, record[values[0]], base_time + t, record.get("u", base_unit))
        )
    readings: list[Reading] = []
    for full_name, name, value, t, unit in found:
        kind = profile.names.get(name) or profile.names.get(full_name.rsplit(":", 1)[-1])
        if kind is None:
            continue
        device = captured.get("device_id") or _senml_device(full_name, name)
        # RFC 8428 §4.5.3: times below 2**28 are relative to now.
        at = reading_time(None, now) if t == 0 else reading_time(t if t >= 2**28 else None, now)
        reading = Reading(
            device_id=_device({"device_id": device}),
            kind=kind,
            value=reading_value(value),
            at=at,
            unit=None if unit is None else text_field(unit, "unit"),
            battery=battery,
        )
        readings.append(plausible(reading))
    if not readings:
        raise RejectedMessage("profile_mismatch", "no SenML record with a known name")
    return readings


def _senml_device(full_name: str, name: str) -> str:
    base = full_name[: len(full_name) - len(name)] if name else full_name
    base = base.rstrip(":/")
    if base.startswith("urn:dev:"):  # urn:dev:mac:0024befffe804ff1 → the last part
        base = base.rsplit(":", 1)[-1]
    return base


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_homeassistant(
    profile: HomeAssistantProfile,
    captured: dict[str, str],
    payload: bytes,
    now: datetime,
    *,
    availability: bool = False,
) -> list[Reading]:
    """The Reading of a bare state (``ON``/``OFF``/``21.5``) or an availability message."""
    text = _text(payload)
    device_id = _device(captured)
    if availability:
        if text.lower() not in ("online", "offline"):
            raise RejectedMessage("bad_value", f"availability must be online/offline: {text:.40}")
        return [Reading(device_id, "state", text.lower(), now)]
    value: float | bool | str
    if text == profile.payload_on:
        value = True
    elif text == profile.payload_off:
        value = False
    else:
        try:
            value = float(text)
        except ValueError:
            value = text
        value = reading_value(value)
    kind = text_field(captured.get("kind") or profile.kind, "kind")
    return [plausible(Reading(device_id, kind, value, now, profile.unit))]


class ProfileSet:
    """The default scheme and the configured profiles, as one parser and one set of filters."""

    def __init__(self, prefix: str, profiles: Sequence[SensorProfile] = ()) -> None:
        self.prefix = prefix
        self._prefix_slash = prefix + "/"
        self._profiles: list[tuple[SensorProfile, TopicPattern, bool]] = []
        for profile in profiles:
            self._profiles.append((profile, TopicPattern.parse(profile.topic), False))
            if isinstance(profile, HomeAssistantProfile) and profile.availability_topic:
                self._profiles.append(
                    (profile, TopicPattern.parse(profile.availability_topic), True)
                )

    def subscriptions(self) -> list[tuple[str, bool, bool]]:
        """(topic filter, is telemetry, is priority) triples. Telemetry may be subscribed at a
        lower QoS; the default scheme's ``event`` and ``state`` (alarms, availability) are the
        priority lane, the profiles' topics (mixed, unknown) the bulk one."""
        default = [(f"{self.prefix}/+/+/{c}", c == "telemetry", c != "telemetry") for c in CHANNELS]
        return default + [(pattern.subscription, False, False) for _, pattern, _ in self._profiles]

    def parse(self, topic: str, payload: bytes, now: datetime) -> list[Reading]:
        """The Readings in one message; RejectedMessage with the reason otherwise."""
        if topic.startswith(self._prefix_slash):
            return [parse_message(topic, payload, self.prefix, now)]
        for profile, pattern, availability in self._profiles:
            captured = pattern.match(topic)
            if captured is None:
                continue
            if isinstance(profile, JsonProfile):
                return parse_json(profile, captured, payload, now)
            if isinstance(profile, SenmlProfile):
                return parse_senml(profile, captured, payload, now)
            return parse_homeassistant(profile, captured, payload, now, availability=availability)
        raise RejectedMessage("bad_topic", f"no profile matches {topic:.120}")
