"""``tianwang eval DIR``: score the detectors on a labelled set of clips.

Each ``NAME.mp4`` (or ``.avi``, ``.mkv``, ``.h264``) goes through ``detect_file`` with its
``NAME.camera.json``; ``NAME.truth.json`` says what happened. A detection of type T
matches a truth event of type T when it is raised between the event's start (less
``EARLY_S``) and its end (plus ``LATE_S``); the first match of an event is its hit and
gives its latency, later ones are repeats; a detection that matches nothing is a false
alarm. A clip without a truth file is a negative for every type (vtest.avi).
"""

import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import Settings
from detectors.analytics_config import AnalyticsConfig, load_analytics_config
from tianwang.detect import DetectResult, Event, detect_file

EARLY_S = 1.0
LATE_S = 5.0
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".h264")
EVENT_TYPES = (
    "fire",
    "smoke",
    "traffic.congestion",
    "traffic.illegal_parking",
    "traffic.wrong_way",
    "sanitation.dumping",
)


@dataclass(slots=True)
class TruthEvent:
    """One labelled event."""

    type: str
    start: float
    end: float
    hit_at: float | None = None


@dataclass(slots=True)
class ClipScore:
    """How the detectors did on one clip."""

    name: str
    seconds: float
    truth: list[TruthEvent]
    false_alarms: list[Event]
    counts: dict[str, int]
    true_counts: dict[str, int]
    result: DetectResult

    def line(self) -> str:
        """One human line about the clip."""
        hits = [f"{e.type}@{e.hit_at - e.start:+.1f}s" for e in self.truth if e.hit_at is not None]
        misses = [e.type for e in self.truth if e.hit_at is None]
        fas = [f"{e.type}@{e.at:.1f}s" for e in self.false_alarms]
        speed = self.seconds / self.result.cpu_s if self.result.cpu_s else 0.0
        return (
            f"{self.name}: hits {hits} missed {misses} false {fas} "
            f"counts {self.counts} truth {self.true_counts} "
            f"decoded {self.result.frames_decoded}/{self.result.frames} {speed:.1f}x"
        )


@dataclass(slots=True)
class Scores:
    """The whole set."""

    clips: list[ClipScore] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Recall per type, false alarms per hour of negative footage, latency, count error."""
        out: dict[str, Any] = {"clips": len(self.clips)}
        total_s = sum(c.seconds for c in self.clips)
        per_type: dict[str, Any] = {}
        for kind in EVENT_TYPES:
            events = [e for c in self.clips for e in c.truth if e.type == kind]
            negative_s = sum(c.seconds for c in self.clips if all(e.type != kind for e in c.truth))
            false = sum(1 for c in self.clips for e in c.false_alarms if e.type == kind)
            latencies = [e.hit_at - e.start for e in events if e.hit_at is not None]
            per_type[kind] = {
                "events": len(events),
                "found": len(latencies),
                "recall": round(len(latencies) / len(events), 3) if events else None,
                "false_alarms": false,
                "false_alarms_per_hour": round(false / (negative_s / 3600), 2)
                if negative_s
                else None,
                "median_latency_s": round(statistics.median(latencies), 2) if latencies else None,
            }
        out["types"] = per_type
        true_total = sum(n for c in self.clips for n in c.true_counts.values())
        error = sum(
            abs(c.counts.get(k, 0) - n) for c in self.clips for k, n in c.true_counts.items()
        )
        out["count_error"] = round(error / true_total, 4) if true_total else None
        out["counted"] = {"detected": sum(sum(c.counts.values()) for c in self.clips)}
        out["counted"]["truth"] = true_total
        cpu = sum(c.result.cpu_s for c in self.clips)
        out["seconds_of_video"] = round(total_s, 1)
        out["speed_x_realtime"] = round(total_s / cpu, 1) if cpu else None
        frames = sum(c.result.frames for c in self.clips)
        decoded = sum(c.result.frames_decoded for c in self.clips)
        out["frames"], out["frames_decoded"] = frames, decoded
        return out


def _truth(path: Path) -> tuple[list[TruthEvent], dict[str, int]]:
    if not path.is_file():
        return [], {}
    data = json.loads(path.read_text(encoding="utf-8"))
    events = [TruthEvent(e["type"], float(e["start"]), float(e["end"])) for e in data["events"]]
    return events, {str(k): int(v) for k, v in data.get("counts", {}).items()}


def score_clip(video: Path, settings: Settings) -> ClipScore:
    """Run detect on one clip and match its events against the truth."""
    stem = video.name[: -len(video.suffix)]
    config_path = video.with_name(f"{stem}.camera.json")
    config = load_analytics_config(config_path) if config_path.is_file() else AnalyticsConfig()
    truth, true_counts = _truth(video.with_name(f"{stem}.truth.json"))
    result = detect_file(video, settings, config)
    false_alarms = []
    for event in result.events:
        matches = [
            e
            for e in truth
            if e.type == event.type and e.start - EARLY_S <= event.at <= e.end + LATE_S
        ]
        if not matches:
            false_alarms.append(event)
            continue
        for e in matches:
            if e.hit_at is None:
                e.hit_at = event.at
                break
    return ClipScore(stem, result.seconds, truth, false_alarms, result.counts, true_counts, result)


def evaluate_set(directory: Path, settings: Settings) -> Iterator[str]:
    """Score every clip in ``directory``: a line per clip, then the JSON summary line."""
    videos = sorted(p for p in directory.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise FileNotFoundError(f"no video clips in {directory}")
    scores = Scores()
    for video in videos:
        clip = score_clip(video, settings)
        scores.clips.append(clip)
        yield clip.line()
    yield json.dumps(scores.summary(), ensure_ascii=False)
