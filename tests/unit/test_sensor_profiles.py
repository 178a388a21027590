"""Sensor profiles: plain JSON with field paths, SenML (RFC 8428), Home Assistant states,
and no topic or payload that crashes the parser."""

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from config.sensors import HomeAssistantProfile, JsonProfile, SenmlProfile, SensorSettings
from detectors.model import Reading
from ingest.sensor_payload import RejectedMessage
from ingest.sensor_profiles import ProfileSet, TopicPattern

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
PROFILES = ProfileSet(
    "tianwang/v1",
    [
        JsonProfile(
            name="acme",
            topic="acme/{site}/{device_id}/up",
            kind="heat",
            value="data.temp",
            unit="data.unit",
            time="ts",
            battery="bat",
        ),
        SenmlProfile(name="senml", topic="senml/{device_id}"),
        HomeAssistantProfile(
            name="ha",
            topic="homeassistant/binary_sensor/{device_id}/state",
            availability_topic="homeassistant/binary_sensor/{device_id}/availability",
            kind="smoke",
        ),
    ],
)


def parse(topic: str, payload: object) -> list[Reading]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return PROFILES.parse(topic, raw, NOW)


def test_plain_json_profile_reads_its_field_paths() -> None:
    (reading,) = parse(
        "acme/bgy/th-9/up", {"data": {"temp": 61.5, "unit": "°C"}, "ts": 1795766400000, "bat": 55}
    )
    assert (reading.device_id, reading.kind, reading.value, reading.unit, reading.battery) == (
        "th-9",
        "heat",
        61.5,
        "°C",
        55.0,
    )
    assert reading.at == datetime.fromtimestamp(1795766400, UTC)


def test_senml_pack_carries_base_name_and_time_forward() -> None:
    pack = [
        {
            "bn": "urn:dev:mac:0024befffe804ff1:",
            "bt": 1795766400,
            "n": "temperature",
            "u": "Cel",
            "v": 23.5,
        },
        {"n": "smoke", "vb": True},
        {"n": "battery", "v": 71},
        {"n": "rssi", "v": -70},
    ]
    readings = PROFILES.parse("senml/x", json.dumps(pack).encode(), NOW)
    assert [(r.device_id, r.kind, r.value, r.battery) for r in readings] == [
        ("x", "heat", 23.5, 71.0),
        ("x", "smoke", True, 71.0),
    ]


def test_home_assistant_state_and_availability() -> None:
    (alarm,) = parse("homeassistant/binary_sensor/kitchen_smoke/state", b"ON")
    (gone,) = parse("homeassistant/binary_sensor/kitchen_smoke/availability", b"offline")
    assert (alarm.kind, alarm.value) == ("smoke", True)
    assert (gone.kind, gone.value) == ("state", "offline")


def test_default_scheme_still_comes_first() -> None:
    (reading,) = parse("tianwang/v1/bin/bin-3/telemetry", {"value": 93})
    assert (reading.kind, reading.value) == ("bin", 93.0)


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("acme/bgy/th-9/up", {"data": {}}, "missing_value"),
        ("acme/bgy/th-9/up", {"data": {"temp": 900}}, "absurd_value"),
        ("senml/x", {"n": "temperature"}, "not_senml"),
        ("senml/x", [{"n": "rssi", "v": 1}], "profile_mismatch"),
        ("tianwang/v1/gas/g-1/telemetry", {"value": 250}, "absurd_value"),
        ("somewhere/else", {"value": 1}, "bad_topic"),
    ],
)
def test_profile_failures_have_reasons(topic: str, payload: object, reason: str) -> None:
    with pytest.raises(RejectedMessage) as caught:
        parse(topic, payload)
    assert caught.value.reason == reason


def test_topic_pattern_subscription_and_capture() -> None:
    pattern = TopicPattern.parse("acme/+/{device_id}/#")
    assert pattern.subscription == "acme/+/+/#"
    assert pattern.match("acme/a/dev-1/x/y") == {"device_id": "dev-1"}
    assert pattern.match("acme/a") is None


def test_profiles_in_settings_are_checked() -> None:
    with pytest.raises(ValidationError):
        SensorSettings.model_validate(
            {"profiles": [{"format": "json", "name": "x", "topic": "a/{device_id}", "value": "v"}]}
        )
    with pytest.raises(ValidationError):
        SensorSettings.model_validate({"profiles": [{"format": "xml", "name": "x", "topic": "a"}]})


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
levels = st.text(alphabet=st.characters(blacklist_characters="/"), max_size=12)
topics = st.one_of(
    st.builds(
        lambda a, b, c: f"tianwang/v1/{a}/{b}/{c}",
        levels,
        levels,
        st.sampled_from(["event", "telemetry", "state", "x"]),
    ),
    st.builds(lambda a, b: f"acme/{a}/{b}/up", levels, levels),
    st.builds(lambda a: f"senml/{a}", levels),
    st.builds(
        lambda a, b: f"homeassistant/binary_sensor/{a}/{b}",
        levels,
        st.sampled_from(["state", "availability"]),
    ),
    st.text(max_size=40),
)
payloads = st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()))
senml_packs = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "bn": json_values,
            "bt": json_values,
            "n": st.sampled_from(["temperature", "smoke", "battery", ""]) | json_values,
            "v": json_values,
            "vb": json_values,
            "t": json_values,
            "u": json_values,
        },
    ),
    max_size=4,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=400)
@given(topic=topics, payload=st.one_of(payloads, senml_packs))
def test_no_topic_or_payload_breaks_the_profiles(topic: str, payload: bytes) -> None:
    with contextlib.suppress(RejectedMessage):
        for reading in PROFILES.parse(topic, payload, NOW):
            assert reading.device_id and reading.kind
