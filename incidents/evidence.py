"""The evidence an incident carries: the latest snapshots and readings, and who saw it."""

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camera_registry.places import Place
from detectors.model import Detection
from incidents.schema import incidents

MAX_EVIDENCE = 5


def source_entry(detection: Detection, place: Place | None) -> dict[str, Any]:
    """How a message names one camera (with its GB/T 28181 ID) or sensor."""
    entry: dict[str, Any] = {"kind": detection.source_kind, "id": detection.source_id}
    if place is not None and place.gb_id:
        entry["gbId"] = place.gb_id
    return entry


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


async def evidence_of(detection: Detection, snapshot_url: Callable[[str], str]) -> dict[str, Any]:
    """What one detection shows: snapshot (URL and SHA-256), box, reading, detector figures."""
    entry: dict[str, Any] = {"at": detection.at.isoformat(), "source": detection.source_id}
    if detection.snapshot is not None:
        entry["snapshot"] = {
            "url": snapshot_url(detection.snapshot),
            "sha256": await asyncio.to_thread(_sha256, detection.snapshot),
        }
    if detection.box is not None:
        entry["box"] = list(detection.box)
    if detection.reading is not None:
        r = detection.reading
        entry["reading"] = {
            "kind": r.kind,
            "value": r.value,
            "unit": r.unit,
            "at": r.at.isoformat(),
        }
    if detection.attributes:
        entry["attributes"] = dict(detection.attributes)
    return entry


def merge_evidence(current: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Keep the latest few snapshots and readings; the newest detection's box and figures."""
    merged = dict(current)
    if "snapshot" in entry:
        merged["snapshots"] = [
            *current.get("snapshots", []),
            {**entry["snapshot"], "at": entry["at"], "camera": entry["source"]},
        ][-MAX_EVIDENCE:]
    if "reading" in entry:
        merged["readings"] = [
            *current.get("readings", []),
            {**entry["reading"], "sensor": entry["source"]},
        ][-MAX_EVIDENCE:]
    for key in ("box", "attributes"):
        if key in entry:
            merged[key] = entry[key]
    merged["last_detection_at"] = entry["at"]
    return merged


def absorbed(
    row: Any, d: Detection, place: Place | None, evidence: dict[str, Any]
) -> dict[str, Any]:
    """What one more detection changes in an incident: last seen, count, peak, evidence, sources."""
    return {
        "last_seen_at": max(row.last_seen_at, d.at),
        "detections": incidents.c.detections + 1,
        "peak_confidence": max(row.peak_confidence, d.confidence),
        "evidence": merge_evidence(row.evidence, evidence),
        "sources": with_source(row.sources, source_entry(d, place)),
    }


def with_source(sources: list[dict[str, Any]], source: dict[str, Any]) -> list[dict[str, Any]]:
    if any(s["kind"] == source["kind"] and s["id"] == source["id"] for s in sources):
        return sources
    return [*sources, source]
