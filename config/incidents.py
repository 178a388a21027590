"""Incident settings: fusion window, focus on alarm, and per-kind timing overrides."""

from pydantic import Field

from config.base import Section


class IncidentSettings(Section):
    """How detections are grouped and how long incidents wait (catalogue defaults otherwise)."""

    fusion_window_s: float = Field(
        300.0, gt=0, le=86400, description="Sensor/camera fusion window."
    )
    focus_s: float = Field(
        60.0, gt=0, le=3600, description="Focus asked of a building's cameras on an alarm."
    )
    escalate_s: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds before an unacknowledged incident is re-alerted, by kind ('*' for all).",
    )
    cooldown_s: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds after closing before the same kind at the same place opens again, by kind.",
    )
    escalation_check_s: float = Field(
        5.0, gt=0, le=600, description="How often escalations are checked."
    )
