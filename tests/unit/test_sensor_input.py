"""MQTT messages to Readings, and Readings to Detections."""

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.model import Reading
from detectors.sensor_rules import SensorRules, is_alarm_state
from ingest.sensor_payload import RejectedMessage, parse_message

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PREFIX = "tianwang/v1"


def parse(topic: str, body: object) -> Reading:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_message(topic, payload, PREFIX, NOW)


def test_smoke_alarm_event_becomes_a_reading_with_its_time() -> None:
    reading = parse(
        "tianwang/v1/smoke/smk-1/event",
        {"value": "ALARM", "ts": "2026-11-27T07:59:58+00:00", "battery": 80},
    )
    assert reading == Reading("smk-1", "smoke", "ALARM", NOW - timedelta(seconds=2), None, 80.0)


def test_kind_defaults_to_the_topic_device_type_and_time_to_arrival() -> None:
    reading = parse("tianwang/v1/heat/h-7/telemetry", {"value": 21.5, "unit": "°C"})
    assert (reading.kind, reading.value, reading.unit, reading.at) == ("heat", 21.5, "°C", NOW)


def test_last_will_word_on_state_topic_is_a_state_reading() -> None:
    reading = parse_message("tianwang/v1/smoke/smk-1/state", b"offline", PREFIX, NOW)
    assert (reading.kind, reading.value) == ("state", "offline")


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("tianwang/v1/smoke/smk-1/event", b"{not json", "not_json"),
        ("tianwang/v1/smoke/smk-1/event", b"\xff\xfe", "not_utf8"),
        ("tianwang/v1/smoke/smk-1/event", b"[1, 2]", "not_object"),
        ("tianwang/v1/smoke/smk-1/event", b'{"state": "alarm"}', "missing_value"),
        ("tianwang/v1/smoke/smk-1/event", b'{"value": 1e300}', "absurd_value"),
        ("tianwang/v1/smoke/smk-1/event", b'{"value": {"a": 1}}', "bad_value"),
        ("tianwang/v1/smoke/smk-1/event", b'{"value": 1, "ts": "yesterday"}', "bad_time"),
        ("tianwang/v1/smoke/smk-1/event", b'{"value": 1, "ts": 1}', "bad_time"),
        ("tianwang/v1/smoke/smk-1/event", b'{"value": 1, "battery": 140}', "bad_field"),
        ("tianwang/v1/smoke/smk-1", b'{"value": 1}', "bad_topic"),
        ("other/v1/smoke/smk-1/event", b'{"value": 1}', "bad_topic"),
        ("tianwang/v1/smoke//event", b'{"value": 1}', "bad_topic"),
        ("tianwang/v1/smoke/smk-1/event", b"x" * 70000, "too_large"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(RejectedMessage) as caught:
        parse_message(topic, payload, PREFIX, NOW)
    assert caught.value.reason == reason


@given(payload=st.binary(max_size=300), device=st.text(max_size=20))
def test_no_payload_breaks_the_parser(payload: bytes, device: str) -> None:
    with contextlib.suppress(RejectedMessage):
        parse_message(f"tianwang/v1/smoke/{device}/event", payload, PREFIX, NOW)


@pytest.mark.parametrize("value", [True, "alarm", "ALARM", " Detected ", "fire"])
def test_alarm_states(value: bool | str) -> None:
    assert is_alarm_state(value)


@pytest.mark.parametrize("value", [False, "normal", "clear", 1.0, 0.0, 23.5])
def test_not_alarm_states(value: float | bool | str) -> None:
    assert not is_alarm_state(value)


def test_smoke_alarm_reading_is_a_sensor_smoke_detection() -> None:
    reading = Reading("smk-1", "smoke", "alarm", NOW)
    (detection,) = SensorRules().evaluate(reading)
    assert (detection.kind, detection.source_kind, detection.source_id) == (
        "sensor.smoke",
        "sensor",
        "smk-1",
    )
    assert detection.reading == reading and detection.at == NOW


def test_heat_telemetry_raises_only_at_the_fixed_temperature() -> None:
    rules = SensorRules()
    assert rules.evaluate(Reading("h-1", "heat", 40.0, NOW, "°C")) == []
    (detection,) = rules.evaluate(Reading("h-1", "heat", 57.0, NOW, "°C"))
    assert detection.kind == "sensor.heat"


def test_quiet_smoke_telemetry_is_no_detection() -> None:
    assert SensorRules().evaluate(Reading("smk-1", "smoke", 0.12, NOW, "%/m")) == []
