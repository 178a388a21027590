"""What each kind of detection means to a command centre, in CAP 1.2 terms.

CAP 1.2 (OASIS Common Alerting Protocol): category, event, urgency, severity, certainty.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IncidentType:
    """How incidents of one detection kind are described and ranked."""

    kind: str
    category: str
    event: str
    headline: str
    urgency: str
    severity: str
    certainty: str


CATALOGUE = {
    t.kind: t
    for t in (
        IncidentType("fire", "Fire", "fire", "摄像头发现明火", "Immediate", "Severe", "Likely"),
        IncidentType(
            "smoke", "Fire", "smoke", "摄像头发现烟雾", "Immediate", "Moderate", "Possible"
        ),
        IncidentType(
            "sensor.smoke", "Fire", "smoke_alarm", "烟感报警", "Immediate", "Severe", "Likely"
        ),
        IncidentType(
            "sensor.heat", "Fire", "heat_alarm", "温感报警", "Immediate", "Severe", "Likely"
        ),
        IncidentType(
            "sensor.gas", "Safety", "gas_alarm", "燃气报警", "Immediate", "Severe", "Likely"
        ),
    )
}


def incident_type(kind: str) -> IncidentType:
    """The catalogue entry for ``kind``; an unknown kind gets a cautious generic entry."""
    return CATALOGUE.get(
        kind, IncidentType(kind, "Other", kind, kind, "Expected", "Moderate", "Possible")
    )
