"""Building sensors: how non-default fleets' messages map to readings (profiles), and the
figures of the sensor rules (heat, bins, batteries, heartbeats)."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.base import Section

TOPIC_HELP = (
    "Topic pattern: '/'-separated levels; '{device_id}' (required unless the payload names the "
    "device) and '{kind}' capture one level, '+' matches one level, a final '#' the rest."
)


class _Profile(Section):
    name: str = Field(min_length=1, max_length=64, description="Label used in logs and metrics.")
    topic: str = Field(min_length=1, max_length=256, description=TOPIC_HELP)
    kind: str | None = Field(
        None, max_length=32, description="Sensor kind when the topic has no '{kind}' level."
    )

    @model_validator(mode="after")
    def _kind_known(self) -> "_Profile":
        if "{kind}" not in self.topic and self.kind is None and not self._kind_in_payload():
            raise ValueError("give 'kind' or a '{kind}' level in the topic")
        levels = self.topic.split("/")
        if "#" in levels[:-1]:
            raise ValueError("'#' may only be the last topic level")
        return self

    def _kind_in_payload(self) -> bool:
        return False


class JsonProfile(_Profile):
    """Plain JSON; each field is a dotted path into the object, e.g. ``data.temp``."""

    format: Literal["json"] = "json"
    value: str = Field(min_length=1, description="Path of the measured value or state.")
    device_id: str | None = Field(None, description="Path of the device id (else the topic's).")
    kind_field: str | None = Field(None, description="Path of the sensor kind, if sent.")
    unit: str | None = Field(None, description="Path of the unit, if sent.")
    time: str | None = Field(None, description="Path of the time (ISO 8601 or Unix seconds/ms).")
    battery: str | None = Field(None, description="Path of the battery level in %.")

    def _kind_in_payload(self) -> bool:
        return self.kind_field is not None


class SenmlProfile(_Profile):
    """SenML JSON (RFC 8428): a pack of records; ``names`` maps record names to kinds."""

    format: Literal["senml"] = "senml"
    names: dict[str, str] = Field(
        default_factory=lambda: {"temperature": "heat", "smoke": "smoke", "gas": "gas"},
        description="SenML record name (after the base name) → sensor kind; others are skipped.",
    )
    battery_name: str = Field("battery", description="Record name carrying the battery level.")

    def _kind_in_payload(self) -> bool:
        return True


class HomeAssistantProfile(_Profile):
    """Home Assistant-style state topics: the payload is the bare state (``ON``, ``21.5``)."""

    format: Literal["homeassistant"] = "homeassistant"
    availability_topic: str | None = Field(
        None, description="Pattern of the availability topic (payload online/offline)."
    )
    payload_on: str = Field("ON", description="State that means 'alarm' for binary sensors.")
    payload_off: str = Field("OFF", description="State that means 'clear'.")
    unit: str | None = Field(None, max_length=16, description="Unit of numeric states.")


SensorProfile = Annotated[
    JsonProfile | SenmlProfile | HomeAssistantProfile, Field(discriminator="format")
]


class SensorRuleSettings(Section):
    """Figures of the sensor rules (see detectors/sensor_rules.py for where they come from)."""

    heat_fixed_c: float = Field(57.0, ge=30, le=200, description="Fixed heat alarm point.")
    heat_reset_c: float = Field(50.0, ge=0, le=200, description="Heat alarm re-arms below this.")
    heat_rise_c_per_min: float = Field(
        8.3, gt=0, le=100, description="Rate-of-rise alarm (EN 54-5 class A1R: 8.3 °C/min)."
    )
    heat_rise_window_s: float = Field(60.0, ge=10, le=600, description="Rate-of-rise window.")
    gas_limit: float = Field(10.0, gt=0, le=100, description="Gas %LEL counted as a leak ...")
    gas_for_s: float = Field(30.0, ge=0, le=3600, description="... when held this long.")
    door_times: int = Field(5, ge=2, le=1000, description="Door alarms this many times ...")
    door_within_s: float = Field(300.0, gt=0, le=86400, description="... within this window.")
    bin_full_pct: float = Field(90.0, gt=0, le=100, description="Bin fill → sanitation.overflow.")
    bin_reset_pct: float = Field(70.0, ge=0, le=100, description="Bin rule re-arms below this.")
    battery_low_pct: float = Field(15.0, ge=0, le=100, description="Battery low at or below.")
    battery_ok_pct: float = Field(25.0, ge=0, le=100, description="Battery rule re-arms above.")
    heartbeat_s: float = Field(
        900.0, ge=10, le=7 * 86400, description="A sensor silent this long is offline."
    )


class SensorSettings(Section):
    """Building sensors over MQTT."""

    profiles: list[SensorProfile] = Field(
        default_factory=list,
        description="Extra topic/payload mappings, tried in order after the default scheme.",
    )
    rules: SensorRuleSettings = SensorRuleSettings()
    dead_letter_max_bytes: int = Field(
        4096, ge=0, le=65536, description="Raw bytes of a rejected message kept in dead letters."
    )
