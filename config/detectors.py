"""Detector settings: thresholds of the fire, smoke, traffic and sanitation detectors."""

from pydantic import Field

from config.base import Section


class FireSettings(Section):
    """Colour + flicker + persistence fire detector (Çelik & Demirel 2009 colour rules)."""

    enabled: bool = Field(True, description="Run the fire detector on cameras.")
    chroma_gap: int = Field(40, ge=0, le=255, description="Minimum |Cr-Cb| of a flame pixel.")
    screen_fraction: float = Field(
        0.002, gt=0, le=1, description="Share of flame-coloured pixels that starts focus."
    )
    confirm_frames: int = Field(8, ge=2, le=300, description="Focus frames looked at to confirm.")
    confirm_ratio: float = Field(
        0.6, gt=0, le=1, description="Share of those frames that must hold a flame region."
    )
    min_flicker: float = Field(
        0.08, ge=0, le=10, description="Minimum relative change of the flame region frame to frame."
    )


class SmokeSettings(Section):
    """Grey, washed-out, churning regions that stay put (saturation and contrast loss)."""

    enabled: bool = Field(
        True,
        description="Run the smoke detector on cameras. On by default since ghosts of the "
        "first picture (cars that stood there and drove off) heal under passing traffic and "
        "are no smoke; that raised false smoke on plain street scenes.",
    )
    screen_fraction: float = Field(
        0.006, gt=0, le=1, description="Share of washed-out changed pixels that starts focus."
    )
    confirm_frames: int = Field(12, ge=3, le=300, description="Focus frames looked at to confirm.")
    min_churn: float = Field(
        0.15, ge=0, le=10, description="Least relative change of the region's change map in ~1 s."
    )


class TrafficSettings(Section):
    """MOG2 + centroid tracks for lines and lanes; dual background for parked vehicles."""

    enabled: bool = Field(True, description="Run traffic analytics where a camera has them.")
    min_vehicle_area: float = Field(
        0.006, gt=0, le=1, description="Least share of the picture a vehicle covers."
    )
    wrong_way_s: float = Field(
        1.0, gt=0, le=60, description="Seconds against a lane's direction that make it wrong way."
    )
    occupancy: float = Field(
        0.12,
        gt=0,
        le=1,
        description="Share of a lane covered by standing vehicles that is a queue.",
    )


class SanitationSettings(Section):
    """Objects left in sanitation zones (long/short-term background, Porikli-style)."""

    enabled: bool = Field(True, description="Run dumping detection where a camera has zones.")
    min_area: float = Field(
        0.0012, gt=0, le=1, description="Least share of the picture a dumped object covers."
    )
    max_area: float = Field(
        0.08, gt=0, le=1, description="Larger static changes are not a dump (vehicle, light)."
    )


class DetectorSettings(Section):
    """All detectors."""

    fire: FireSettings = FireSettings()
    smoke: SmokeSettings = SmokeSettings()
    traffic: TrafficSettings = TrafficSettings()
    sanitation: SanitationSettings = SanitationSettings()
