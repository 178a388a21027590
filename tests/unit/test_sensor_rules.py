"""The stateful sensor rules, one sensor's story at a time."""

from datetime import UTC, datetime, timedelta

from detectors.model import Reading
from detectors.sensor_rules import RuleParams, SensorRules

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def kinds(rules: SensorRules, *readings: Reading) -> list[str]:
    return [d.kind for r in readings for d in rules.evaluate(r)]


def test_fixed_heat_fires_once_and_rearms_only_below_the_reset_point() -> None:
    rules = SensorRules()
    temps = [40, 58, 60, 56, 58, 49, 58]  # 56 and 58 after the alarm wobble: no new event
    found = [kinds(rules, Reading("h", "heat", float(t), at(i * 600))) for i, t in enumerate(temps)]
    assert found == [[], ["sensor.heat"], [], [], [], [], ["sensor.heat"]]


def test_heat_rising_8_3_degrees_a_minute_alarms_below_the_fixed_point() -> None:
    rules = SensorRules()
    found = [
        d
        for s in range(0, 61, 10)
        for d in rules.evaluate(Reading("h", "heat", 20 + s * 0.15, at(s)))
    ]
    assert [d.kind for d in found] == ["sensor.heat"]
    assert found[0].attributes["rise_c_per_min"] >= 8.3


def test_slow_warming_is_no_rate_of_rise_alarm() -> None:
    rules = SensorRules()
    assert (
        kinds(rules, *(Reading("h", "heat", 20 + s * 0.05, at(s)) for s in range(0, 300, 10))) == []
    )


def test_gas_must_stay_above_the_limit_for_the_whole_time() -> None:
    rules = SensorRules(RuleParams(gas_limit=10, gas_for_s=30))
    puff = [Reading("g", "gas", v, at(s)) for s, v in ((0, 12), (10, 15), (20, 3), (35, 12))]
    assert kinds(rules, *puff) == []
    held = [Reading("g", "gas", 14.0, at(s)) for s in (40, 55, 66, 80)]
    assert kinds(rules, *held) == ["sensor.gas"]


def test_door_forced_five_times_in_five_minutes_is_one_event() -> None:
    rules = SensorRules()
    slow = [Reading("d", "door", "forced", at(s)) for s in (0, 400, 800, 1200, 1600)]
    assert kinds(rules, *slow) == []
    fast = [Reading("d", "door", "forced", at(2000 + s)) for s in range(0, 250, 50)]
    assert kinds(rules, *fast) == ["sensor.door_repeated"]


def test_bin_at_90_percent_is_a_sanitation_overflow_once_until_emptied() -> None:
    rules = SensorRules()
    levels = [50, 91, 95, 85, 92, 20, 90]
    found = [kinds(rules, Reading("b", "bin", float(v), at(i))) for i, v in enumerate(levels)]
    assert found == [[], ["sanitation.overflow"], [], [], [], [], ["sanitation.overflow"]]


def test_low_battery_is_maintenance_once() -> None:
    rules = SensorRules()
    batteries = [40, 14, 12, 20, 30, 10]
    found = [
        kinds(rules, Reading("s", "smoke", 0.1, at(i), battery=float(b)))
        for i, b in enumerate(batteries)
    ]
    assert found == [[], ["sensor.battery_low"], [], [], [], ["sensor.battery_low"]]


def test_last_will_is_a_health_event_and_online_rearms_it() -> None:
    rules = SensorRules()
    story = [
        ("offline", ["sensor.offline"]),
        ("offline", []),
        ("online", []),
        ("offline", ["sensor.offline"]),
    ]
    for i, (state, expected) in enumerate(story):
        assert kinds(rules, Reading("s", "state", state, at(i))) == expected


def test_sensor_missing_its_heartbeat_window_goes_offline_once() -> None:
    rules = SensorRules()
    rules.watch("quiet", heartbeat_s=60)
    rules.watch("chatty", heartbeat_s=60)
    assert rules.silent(at(0)) == []
    rules.evaluate(Reading("chatty", "smoke", 0.1, at(50)))
    (offline,) = rules.silent(at(90))
    assert (offline.kind, offline.source_id) == ("sensor.offline", "quiet")
    assert rules.silent(at(200)) != [] and rules.silent(at(300)) == []  # chatty, then none


def test_smoke_alarm_state_is_an_event_every_time() -> None:
    rules = SensorRules()
    alarms = [Reading("s", "smoke", "ALARM", at(i)) for i in range(3)]
    assert kinds(rules, *alarms) == ["sensor.smoke"] * 3


def test_a_sensor_with_its_own_thresholds_is_judged_by_them_and_the_rest_by_the_defaults() -> None:
    rules = SensorRules()
    rules.watch("heat-kitchen", thresholds={"heat_fixed_c": 70, "heat_reset_c": 60})
    rules.watch("heat-office")
    assert kinds(rules, Reading("heat-kitchen", "heat", 65.0, at(0))) == []
    assert kinds(rules, Reading("heat-office", "heat", 65.0, at(0))) == ["sensor.heat"]
    assert kinds(rules, Reading("heat-kitchen", "heat", 71.0, at(1))) == ["sensor.heat"]


def test_new_thresholds_take_effect_and_what_the_rules_remember_stays() -> None:
    rules = SensorRules()
    rules.watch("door-1", thresholds={"door_times": 3})
    assert kinds(rules, *(Reading("door-1", "door", "alarm", at(n)) for n in range(2))) == []
    rules.watch("door-1", thresholds={"door_times": 2})  # the register changed
    assert kinds(rules, Reading("door-1", "door", "alarm", at(3))) == ["sensor.door_repeated"]


def test_an_unwatched_sensor_is_no_longer_expected_to_report() -> None:
    rules = SensorRules(RuleParams(heartbeat_s=60))
    rules.watch("smk-1")
    rules.silent(at(0))
    rules.unwatch("smk-1")
    assert rules.silent(at(600)) == []
