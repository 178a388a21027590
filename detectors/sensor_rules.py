"""Sensor rules: which readings are events.

Alarm states (smoke, gas, heat detectors that report "alarm") and fixed thresholds on
numeric telemetry: 57 °C is the fixed-temperature point of an ordinary heat detector
(NFPA 72 temperature classification, "ordinary" 57-79 °C; EN 54-5 class A1 is 54-65 °C).
"""

from dataclasses import dataclass

from detectors.model import Detection, Reading

ALARM_WORDS = frozenset({"alarm", "fire", "smoke", "detected", "on", "true", "1"})


def is_alarm_state(value: float | bool | str) -> bool:
    """True for the ways sensors say 'alarm': true, 'ALARM', 'detected', ...; numbers are
    measurements, not states, and go to threshold rules."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ALARM_WORDS
    return False


def sensor_detection(reading: Reading, kind: str, confidence: float) -> Detection:
    """The Detection a rule makes of ``reading``, carrying the reading as evidence."""
    return Detection(
        kind=kind,
        source_kind="sensor",
        source_id=reading.device_id,
        at=reading.at,
        confidence=confidence,
        reading=reading,
    )


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """A sensor kind whose alarm state is an event of ``detection_kind``."""

    sensor_kind: str
    detection_kind: str
    confidence: float = 0.9

    def evaluate(self, reading: Reading) -> Detection | None:
        """A Detection when ``reading`` is this kind's alarm state."""
        if reading.kind != self.sensor_kind or not is_alarm_state(reading.value):
            return None
        return sensor_detection(reading, self.detection_kind, self.confidence)


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """A numeric reading of ``sensor_kind`` at or above ``limit`` is an event."""

    sensor_kind: str
    detection_kind: str
    limit: float
    confidence: float = 0.8

    def evaluate(self, reading: Reading) -> Detection | None:
        """A Detection when the reading is a number at or above the limit."""
        value = reading.value
        if reading.kind != self.sensor_kind or isinstance(value, bool | str) or value < self.limit:
            return None
        return sensor_detection(reading, self.detection_kind, self.confidence)


Rule = AlarmRule | ThresholdRule

DEFAULT_RULES: tuple[Rule, ...] = (
    AlarmRule("smoke", "sensor.smoke"),
    AlarmRule("gas", "sensor.gas"),
    AlarmRule("heat", "sensor.heat"),
    ThresholdRule("heat", "sensor.heat", limit=57.0),
)


def evaluate(reading: Reading, rules: tuple[Rule, ...] = DEFAULT_RULES) -> list[Detection]:
    """Every detection the rules find in one reading."""
    found = (rule.evaluate(reading) for rule in rules)
    return [d for d in found if d is not None]
