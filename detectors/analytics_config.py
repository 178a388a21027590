"""A camera's analytics config: where its zones and counting lines are in the picture.

Stored per camera in the registry (as JSON) and given as a file to ``tianwang detect``.
Coordinates are normalised to [0, 1] of the picture, x right, y down, so one config fits
the main stream and the sub-stream. Fire and smoke run on the whole picture minus the
``mask`` zones; traffic and sanitation run only where their zones say.
"""

import json
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Point = tuple[float, float]
ZoneKind = Literal["no_parking", "sanitation", "lane", "mask"]

DEFAULT_DWELL_S = {"no_parking": 60.0, "sanitation": 30.0, "lane": 30.0, "mask": 0.0}
"""How long a parked car, a left object or a slow queue must last, when a zone says nothing."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_point(point: Point) -> Point:
    x, y = point
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError(f"coordinates are normalised to [0, 1], got [{x}, {y}]")
    return point


class Zone(_Strict):
    """A polygon of the picture with a meaning: 禁停区, 环卫区, a traffic lane, or a mask."""

    name: str = Field(min_length=1, max_length=64, description="Unique within the camera.")
    kind: ZoneKind = Field(description="no_parking | sanitation | lane | mask.")
    polygon: list[Point] = Field(min_length=3, description="Vertices, normalised [x, y].")
    dwell_s: float | None = Field(
        None, gt=0, le=86400, description="Seconds a stop/left object/queue must last."
    )
    direction: Point | None = Field(
        None, description="Lane only: the allowed direction of travel [dx, dy] in the picture."
    )

    @field_validator("polygon")
    @classmethod
    def _in_picture(cls, polygon: list[Point]) -> list[Point]:
        return [_check_point(p) for p in polygon]

    @model_validator(mode="after")
    def _direction_fits_kind(self) -> "Zone":
        if self.direction is not None:
            if self.kind != "lane":
                raise ValueError(f"direction is for lane zones, not {self.kind}")
            if self.direction[0] == 0 and self.direction[1] == 0:
                raise ValueError("direction must not be [0, 0]")
        return self

    @property
    def dwell(self) -> float:
        """The zone's dwell time, or the default for its kind."""
        return self.dwell_s if self.dwell_s is not None else DEFAULT_DWELL_S[self.kind]

    def mask(self, width: int, height: int) -> npt.NDArray[np.bool_]:
        """The zone as a boolean picture of ``width`` x ``height``."""
        canvas = np.zeros((height, width), np.uint8)
        points = np.array([(x * (width - 1), y * (height - 1)) for x, y in self.polygon])
        cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 1)
        return canvas.astype(bool)


class Line(_Strict):
    """A counting line (计数线): tracks that cross it are counted, in either direction."""

    name: str = Field(min_length=1, max_length=64)
    points: tuple[Point, Point] = Field(description="Two ends, normalised [x, y].")

    @field_validator("points")
    @classmethod
    def _in_picture(cls, points: tuple[Point, Point]) -> tuple[Point, Point]:
        if points[0] == points[1]:
            raise ValueError("a line needs two different points")
        return (_check_point(points[0]), _check_point(points[1]))


class AnalyticsConfig(_Strict):
    """One camera's zones and lines; an empty config runs fire and smoke on the whole picture."""

    zones: list[Zone] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> "AnalyticsConfig":
        for what, names in (
            ("zone", [z.name for z in self.zones]),
            ("line", [ln.name for ln in self.lines]),
        ):
            seen = {n for n in names if names.count(n) > 1}
            if seen:
                raise ValueError(f"duplicate {what} names: {sorted(seen)}")
        return self

    def zones_of(self, kind: ZoneKind) -> list[Zone]:
        """The zones of one kind, in file order."""
        return [z for z in self.zones if z.kind == kind]

    def unmasked(self, width: int, height: int) -> npt.NDArray[np.bool_]:
        """Where fire and smoke look: everything but the mask zones."""
        keep = np.ones((height, width), bool)
        for zone in self.zones_of("mask"):
            keep &= ~zone.mask(width, height)
        return keep


def load_analytics_config(path: Path) -> AnalyticsConfig:
    """Read a JSON or YAML analytics config file; raises ValueError/ValidationError if bad."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    return AnalyticsConfig.model_validate(data or {})
