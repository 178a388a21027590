"""``tianwang detect``: the service's detectors and patrol/focus policy on one video file.

The file goes through the same ``CameraSession`` a live camera does (key frames screened
in patrol, every frame at ``focus_fps`` confirmed in focus), only unpaced: as fast as the
CPU decodes. The output is JSON Lines: one line per event occurrence, then a summary.
"""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from config.settings import Settings
from detectors.analytics_config import AnalyticsConfig, load_analytics_config
from detectors.frame_api import Frame
from detectors.model import Finding
from ingest.camera_session import CameraSession, SessionPolicy
from tianwang.pipeline import frame_detectors

OCCURRENCE_GAP_S = 30.0
"""Fire or smoke confirmed again within this long of the last confirmation is the same
occurrence (the service keeps one active incident per camera and type the same way)."""

MERGED_KINDS = frozenset({"fire", "smoke"})
"""Kinds whose detectors confirm a lasting scene again and again; traffic and sanitation
detectors report each vehicle or object once, so each of their findings is an occurrence."""


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence of an event in the video."""

    type: str
    at: float
    confidence: float
    bbox: tuple[float, float, float, float] | None
    zone: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON Lines record of the event."""
        return {
            "type": self.type,
            "at": round(self.at, 2),
            "confidence": round(self.confidence, 3),
            "bbox": list(self.bbox) if self.bbox is not None else None,
            "zone": self.zone,
        }


@dataclass(slots=True)
class DetectResult:
    """What one run of the detectors over a file found, and what it cost."""

    events: list[Event] = field(default_factory=list)
    frames: int = 0
    frames_decoded: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The last JSON line of ``tianwang detect``."""
        return {
            "type": "summary",
            "frames": self.frames,
            "frames_decoded": self.frames_decoded,
            "seconds": round(self.seconds, 2),
            "counts": self.counts,
        }

    def text_lines(self) -> Iterator[str]:
        """Every event, then the summary, for people."""
        for e in self.events:
            zone = f" in {e.zone}" if e.zone else ""
            yield f"{e.at:8.2f}s  {e.type}{zone}  confidence {e.confidence:.2f}  bbox {e.bbox}"
        speed = self.seconds / self.cpu_s if self.cpu_s > 0 else float("inf")
        yield (
            f"{self.seconds:.1f}s of video, {self.frames} frames, {self.frames_decoded} decoded, "
            f"counts {self.counts}, {speed:.1f}x real time on CPU"
        )

    def json_lines(self) -> Iterator[str]:
        """Every event, then the summary, one JSON object a line."""
        for event in self.events:
            yield json.dumps(event.as_json(), ensure_ascii=False)
        yield json.dumps(self.summary(), ensure_ascii=False)


def _corners(box: tuple[float, float, float, float] | None) -> tuple[float, ...] | None:
    if box is None:
        return None
    x, y, w, h = (float(v) for v in box)
    return (round(x, 4), round(y, 4), round(min(1.0, x + w), 4), round(min(1.0, y + h), 4))


class _Occurrences:
    """Findings folded into occurrences (see OCCURRENCE_GAP_S)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._last_seen: dict[tuple[str, str | None], float] = {}

    def add(self, finding: Finding, at: float) -> None:
        key = (finding.kind, finding.zone)
        last = self._last_seen.get(key)
        self._last_seen[key] = at
        if finding.kind in MERGED_KINDS and last is not None and at - last <= OCCURRENCE_GAP_S:
            return
        corners = _corners(finding.box)
        bbox = (corners[0], corners[1], corners[2], corners[3]) if corners else None
        self.events.append(Event(finding.kind, at, finding.confidence, bbox, finding.zone))


def detect_file(
    video: Path, settings: Settings, config: AnalyticsConfig | None = None
) -> DetectResult:
    """Run the camera's detectors over ``video`` with the service's patrol/focus policy."""
    if not video.is_file():
        raise FileNotFoundError(f"no such video file: {video}")
    config = config or AnalyticsConfig()
    detectors = frame_detectors(settings, config)
    policy = SessionPolicy(
        focus_fps=settings.ingest.focus_fps, focus_s=settings.ingest.focus_s, pace_files=False
    )
    occurrences = _Occurrences()
    session: CameraSession | None = None

    def on_finding(finding: Finding, frame: Frame) -> None:
        assert session is not None
        occurrences.add(finding, session.position_s)

    session = CameraSession("detect", str(video), detectors, policy, on_finding, threading.Event())
    wall, cpu = time.perf_counter(), time.process_time()
    session.run()
    counts: dict[str, int] = {}
    for detector in detectors:
        counts.update(getattr(detector, "counts", {}))
    return DetectResult(
        events=occurrences.events,
        frames=session.frames,
        frames_decoded=session.frames_decoded,
        seconds=session.duration_s,
        counts=counts,
        cpu_s=time.process_time() - cpu,
        wall_s=time.perf_counter() - wall,
    )


def load_camera_config(path: Path | None) -> AnalyticsConfig:
    """The analytics config in ``path`` (JSON or YAML), or an empty one; exits 2 if bad."""
    if path is None:
        return AnalyticsConfig()
    try:
        return load_analytics_config(path)
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"camera config error: {path}: {exc}", err=True)
        raise typer.Exit(2) from exc
