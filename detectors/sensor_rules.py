"""Sensor rules: which readings are events.

Alarm states (smoke, gas, heat, water detectors that report "alarm") are events at once.
Numeric telemetry goes through small per-sensor state objects:

* heat: the fixed point 57 °C (NFPA 72 "ordinary" class 57-79 °C; EN 54-5 class A1 54-65 °C)
  with hysteresis, and rate-of-rise ≥ 8.3 °C/min (EN 54-5 class A1R);
* gas: above X %LEL held for Y s (one puff is not a leak);
* door: forced/alarm N times within M s;
* bin: fill ≥ 90 % → ``sanitation.overflow``, re-armed below 70 %;
* battery ≤ 15 % → ``sensor.battery_low`` (maintenance), re-armed above 25 %;
* health: the last will / ``offline`` state, or silence past the heartbeat window →
  ``sensor.offline``.

Every rule with a threshold re-arms only past a second, safer threshold (hysteresis), so a
value wobbling around the limit is one event, not fifty. Nothing here does I/O.
"""

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from detectors.model import Detection, Reading

ALARM_WORDS = frozenset({"alarm", "fire", "smoke", "detected", "on", "true", "1", "leak", "forced"})
OFFLINE_WORDS = frozenset({"offline", "lost", "dead"})
ALARM_KINDS = {
    "smoke": "sensor.smoke",
    "gas": "sensor.gas",
    "heat": "sensor.heat",
    "water": "sensor.water_leak",
}


def is_alarm_state(value: float | bool | str) -> bool:
    """True for the ways sensors say 'alarm': true, 'ALARM', 'detected', ...; numbers are
    measurements, not states, and go to threshold rules."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ALARM_WORDS
    return False


def sensor_detection(
    reading: Reading, kind: str, confidence: float, **attributes: float
) -> Detection:
    """The Detection a rule makes of ``reading``, carrying the reading as evidence."""
    return Detection(
        kind=kind,
        source_kind="sensor",
        source_id=reading.device_id,
        at=reading.at,
        confidence=confidence,
        reading=reading,
        attributes=attributes,
    )


@dataclass(frozen=True, slots=True)
class RuleParams:
    """The figures of the stateful rules (config/sensors.py SensorRuleSettings)."""

    heat_fixed_c: float = 57.0
    heat_reset_c: float = 50.0
    heat_rise_c_per_min: float = 8.3
    heat_rise_window_s: float = 60.0
    gas_limit: float = 10.0
    gas_for_s: float = 30.0
    door_times: int = 5
    door_within_s: float = 300.0
    bin_full_pct: float = 90.0
    bin_reset_pct: float = 70.0
    battery_low_pct: float = 15.0
    battery_ok_pct: float = 25.0
    heartbeat_s: float = 900.0


@dataclass(slots=True)
class Latch:
    """Hysteresis: fires once when ``on`` holds, re-arms only when ``off`` holds."""

    armed: bool = True

    def update(self, on: bool, off: bool) -> bool:
        """True exactly when the latch fires."""
        if self.armed and on:
            self.armed = False
            return True
        if not self.armed and off:
            self.armed = True
        return False


@dataclass(slots=True)
class SensorState:
    """What the rules remember about one sensor."""

    last_seen: datetime | None = None
    offline: Latch = field(default_factory=Latch)
    battery: Latch = field(default_factory=Latch)
    fixed_heat: Latch = field(default_factory=Latch)
    rise: Latch = field(default_factory=Latch)
    bin: Latch = field(default_factory=Latch)
    gas_since: datetime | None = None
    gas: Latch = field(default_factory=Latch)
    history: deque[tuple[datetime, float]] = field(default_factory=deque)
    door_alarms: deque[datetime] = field(default_factory=deque)
    params: RuleParams | None = None
    """This sensor's own figures (the register's thresholds); None: the defaults."""


class SensorRules:
    """The stateful rules, keyed per sensor: ``evaluate`` each reading, ``silent`` now and then."""

    def __init__(self, params: RuleParams | None = None) -> None:
        self.params = params or RuleParams()
        self._states: dict[str, SensorState] = {}
        self._heartbeat: dict[str, float] = {}

    def watch(
        self,
        device_id: str,
        heartbeat_s: float | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        """Expect ``device_id`` to report at least every ``heartbeat_s`` (default from params)
        and judge it by ``thresholds`` (RuleParams field names) over the defaults. Watching a
        watched sensor again changes its figures and keeps what the rules remember of it."""
        self._heartbeat[device_id] = heartbeat_s or self.params.heartbeat_s
        state = self._states.setdefault(device_id, SensorState())
        # Each figure keeps the type of its default (door_times counts, the rest measure).
        figures: dict[str, Any] = {
            name: type(getattr(self.params, name))(value)
            for name, value in (thresholds or {}).items()
        }
        state.params = replace(self.params, **figures) if figures else None

    def unwatch(self, device_id: str) -> None:
        """Stop expecting ``device_id`` (taken out of the register or disabled)."""
        self._heartbeat.pop(device_id, None)
        self._states.pop(device_id, None)

    def evaluate(self, reading: Reading) -> list[Detection]:
        """Every detection this reading completes, given what came before from its sensor."""
        state = self._states.get(reading.device_id)
        if state is None:
            state = self._states[reading.device_id] = SensorState()
        found: list[Detection] = []
        value = reading.value
        if reading.kind == "state":
            offline = isinstance(value, str) and value.strip().lower() in OFFLINE_WORDS
            if state.offline.update(offline, not offline):
                found.append(sensor_detection(reading, "sensor.offline", 1.0))
            if not offline:
                state.last_seen = reading.at
            return found
        state.last_seen = reading.at
        state.offline.update(False, True)
        p = state.params or self.params
        if reading.battery is not None and state.battery.update(
            reading.battery <= p.battery_low_pct, reading.battery > p.battery_ok_pct
        ):
            found.append(sensor_detection(reading, "sensor.battery_low", 1.0))
        if isinstance(value, bool | str):
            if is_alarm_state(value):
                self._alarm_state(reading, state, found)
            return found
        kind = reading.kind
        if kind == "heat":
            self._heat(reading, value, state, found)
        elif kind == "gas":
            self._gas(reading, value, state, found)
        elif kind == "bin" and state.bin.update(value >= p.bin_full_pct, value < p.bin_reset_pct):
            found.append(sensor_detection(reading, "sanitation.overflow", 0.9, level=value))
        return found

    def silent(self, now: datetime) -> list[Detection]:
        """``sensor.offline`` for each watched sensor silent past its heartbeat window."""
        found: list[Detection] = []
        for device_id, window_s in self._heartbeat.items():
            state = self._states[device_id]
            if state.last_seen is None:
                state.last_seen = now  # the window starts when watching starts
                continue
            silent_s = (now - state.last_seen).total_seconds()
            if silent_s > window_s and state.offline.update(True, False):
                found.append(
                    Detection(
                        kind="sensor.offline",
                        source_kind="sensor",
                        source_id=device_id,
                        at=now,
                        confidence=1.0,
                        attributes={"silent_s": round(silent_s, 1)},
                    )
                )
        return found

    def _alarm_state(self, reading: Reading, state: SensorState, found: list[Detection]) -> None:
        kind = reading.kind
        if kind in ALARM_KINDS:
            found.append(sensor_detection(reading, ALARM_KINDS[kind], 0.9))
        elif kind == "door":
            p = state.params or self.params
            alarms = state.door_alarms
            alarms.append(reading.at)
            while alarms and (reading.at - alarms[0]).total_seconds() > p.door_within_s:
                alarms.popleft()
            if len(alarms) >= p.door_times:
                alarms.clear()
                found.append(sensor_detection(reading, "sensor.door_repeated", 0.8))

    def _heat(
        self, reading: Reading, value: float, state: SensorState, found: list[Detection]
    ) -> None:
        p = state.params or self.params
        if state.fixed_heat.update(value >= p.heat_fixed_c, value < p.heat_reset_c):
            found.append(sensor_detection(reading, "sensor.heat", 0.85, celsius=value))
        history = state.history
        history.append((reading.at, value))
        while (reading.at - history[0][0]).total_seconds() > p.heat_rise_window_s:
            history.popleft()
        first_at, first_value = history[0]
        span_s = (reading.at - first_at).total_seconds()
        # Below a third of the window two noisy samples would make a slope out of nothing.
        if span_s < p.heat_rise_window_s / 3:
            return
        rise = (value - first_value) * 60.0 / span_s
        if state.rise.update(rise >= p.heat_rise_c_per_min, rise < p.heat_rise_c_per_min / 2):
            found.append(
                sensor_detection(reading, "sensor.heat", 0.8, rise_c_per_min=round(rise, 2))
            )

    def _gas(
        self, reading: Reading, value: float, state: SensorState, found: list[Detection]
    ) -> None:
        p = state.params or self.params
        if value < p.gas_limit:
            state.gas_since = None
            state.gas.update(False, True)
            return
        if state.gas_since is None:
            state.gas_since = reading.at
        held_s = (reading.at - state.gas_since).total_seconds()
        if state.gas.update(held_s >= p.gas_for_s, False):
            found.append(sensor_detection(reading, "sensor.gas", 0.8, lel=value, held_s=held_s))
