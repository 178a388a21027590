"""What each kind of detection means to a command centre, in CAP 1.2 terms, and its timings.

CAP 1.2 (OASIS Common Alerting Protocol): category, event, urgency, severity, certainty.
``family`` groups kinds that fusion treats as one event (a smoke alarm and a camera fire
in the same building); ``escalate_s`` is how long an open incident may wait for an
acknowledgement before it is re-alerted one severity up; ``cooldown_s`` is how long
after it closes before the same kind at the same place opens a new incident.
"""

from dataclasses import dataclass

SEVERITIES = ("Minor", "Moderate", "Severe", "Extreme")


@dataclass(frozen=True, slots=True)
class IncidentType:
    """How incidents of one detection kind are described, ranked and timed."""

    kind: str
    category: str
    event: str
    headline: str
    urgency: str
    severity: str
    certainty: str
    family: str
    escalate_s: float
    cooldown_s: float


def raised(severity: str) -> str:
    """One CAP severity step up (Extreme stays Extreme)."""
    index = SEVERITIES.index(severity) if severity in SEVERITIES else 1
    return SEVERITIES[min(index + 1, len(SEVERITIES) - 1)]


# fmt: off
_ROWS = (
    # kind                     category     event              headline        urgency      severity    certainty   family        escalate_s cooldown_s
    ("fire",                    "Fire",      "fire",            "摄像头发现明火", "Immediate", "Severe",   "Likely",   "fire",       120,   600),
    ("smoke",                   "Fire",      "smoke",           "摄像头发现烟雾", "Immediate", "Moderate", "Possible", "fire",       180,   600),
    ("sensor.smoke",            "Fire",      "smoke_alarm",     "烟感报警",       "Immediate", "Severe",   "Likely",   "fire",       120,   600),
    ("sensor.heat",             "Fire",      "heat_alarm",      "温感报警",       "Immediate", "Severe",   "Likely",   "fire",       120,   600),
    ("sensor.gas",              "Safety",    "gas_alarm",       "燃气报警",       "Immediate", "Severe",   "Likely",   "fire",       120,   600),
    ("sensor.water_leak",       "Infra",     "water_leak",      "漏水报警",       "Expected",  "Moderate", "Likely",   "water",      600,   1800),
    ("sensor.door_repeated",    "Security",  "door_repeated",   "门磁频繁报警",   "Expected",  "Minor",    "Possible", "door",       1800,  1800),
    ("sensor.offline",          "Infra",     "sensor_offline",  "传感器离线",     "Expected",  "Minor",    "Observed", "health",     3600,  600),
    ("sensor.battery_low",      "Infra",     "battery_low",     "传感器电量低",   "Future",    "Minor",    "Observed", "health",     86400, 86400),
    ("traffic.congestion",      "Transport", "congestion",      "道路拥堵",       "Expected",  "Minor",    "Observed", "traffic",    900,   900),
    ("traffic.illegal_parking", "Transport", "illegal_parking", "违章停车",       "Expected",  "Minor",    "Observed", "traffic",    1800,  1800),
    ("traffic.wrong_way",       "Transport", "wrong_way",       "车辆逆行",       "Immediate", "Moderate", "Observed", "traffic",    300,   600),
    ("sanitation.dumping",      "Env",       "dumping",         "乱倒垃圾",       "Expected",  "Minor",    "Observed", "sanitation", 3600,  3600),
    ("sanitation.overflow",     "Env",       "bin_overflow",    "垃圾桶满溢",     "Expected",  "Minor",    "Observed", "sanitation", 3600,  3600),
    ("camera.offline",          "Infra",     "camera_offline",  "摄像头离线",     "Expected",  "Minor",    "Observed", "health",     3600,  60),
    ("camera.frozen",           "Infra",     "camera_frozen",   "摄像头画面冻结", "Expected",  "Minor",    "Observed", "health",     3600,  60),
    ("camera.covered",          "Infra",     "camera_covered",  "摄像头遮挡黑屏", "Expected",  "Moderate", "Likely",   "health",     1800,  60),
    ("camera.blurred",          "Infra",     "camera_blurred",  "摄像头画面模糊", "Future",    "Minor",    "Likely",   "health",     86400, 60),
    ("camera.moved",            "Infra",     "camera_moved",    "摄像头视角偏移", "Expected",  "Minor",    "Likely",   "health",     3600,  60),
)
# fmt: on
CATALOGUE = {row[0]: IncidentType(*row) for row in _ROWS}


def incident_type(kind: str) -> IncidentType:
    """The catalogue entry for ``kind``; an unknown kind gets a cautious generic entry."""
    found = CATALOGUE.get(kind)
    if found is not None:
        return found
    return IncidentType(
        kind, "Other", kind, kind, "Expected", "Moderate", "Possible", kind, 1800, 600
    )
