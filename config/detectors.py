"""Detector settings: thresholds for the fire screen/confirm and the sensor rules."""

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


class DetectorSettings(Section):
    """All detectors."""

    fire: FireSettings = FireSettings()
