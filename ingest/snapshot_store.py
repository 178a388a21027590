"""Evidence pictures on disk: a JPEG of the frame that confirmed a detection, kept for a
while and within a size limit; and each camera's reference view for the "moved" check.

Layout under the snapshot folder: ``{camera_id}/{UTC time}-{kind}.jpg``, the name the API
serves it by (``/api/v1/snapshots/{camera_id}/{file}``). References live in a hidden folder
of their own (``.references/{camera_id}.png``): they are not evidence, never pruned, and no
camera is named ``.references``.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from detectors.frame_api import Frame

log = logging.getLogger(__name__)

JPEG_QUALITY = 85


def write_snapshot(
    folder: Path, camera_id: str, kind: str, at: datetime, frame: Frame
) -> str | None:
    """Store ``frame`` as the evidence of a ``kind`` detection; its path, None if not written."""
    camera_folder = folder / camera_id
    camera_folder.mkdir(parents=True, exist_ok=True)
    path = camera_folder / f"{at:%Y%m%dT%H%M%S%f}-{kind}.jpg"
    if cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        return str(path)
    log.error("camera %s: could not write snapshot %s", camera_id, path)
    return None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one retention pass removed and what it kept."""

    removed: int
    freed_bytes: int
    kept: int
    kept_bytes: int


def prune_snapshots(
    folder: Path, keep_s: float, max_bytes: int, now: float | None = None
) -> Pruned:
    """Remove snapshots older than ``keep_s``, then the oldest until the rest fit ``max_bytes``."""
    now = time.time() if now is None else now
    found: list[tuple[float, int, Path]] = []
    for path in folder.glob("*/*.jpg"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((stat.st_mtime, stat.st_size, path))
    found.sort()  # oldest first
    total = sum(size for _, size, _ in found)
    removed = freed = 0
    for mtime, size, path in found:
        if now - mtime <= keep_s and total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        removed, freed, total = removed + 1, freed + size, total - size
    return Pruned(removed, freed, len(found) - removed, total)


async def keep_snapshots_within_limits(
    folder: Path, keep_s: float, max_bytes: int, every_s: float
) -> None:
    """Prune ``folder`` now and every ``every_s`` seconds, until cancelled."""
    while True:
        pruned = await asyncio.to_thread(prune_snapshots, folder, keep_s, max_bytes)
        if pruned.removed:
            log.info(
                "snapshots: removed %d (%.1f MB); %d kept (%.1f MB)",
                pruned.removed,
                pruned.freed_bytes / 2**20,
                pruned.kept,
                pruned.kept_bytes / 2**20,
            )
        await asyncio.sleep(every_s)


def reference_path(folder: Path, camera_id: str) -> Path:
    """Where a camera's reference view is kept (``folder``: the snapshot folder)."""
    return folder / ".references" / f"{camera_id}.png"


def load_reference(folder: Path, camera_id: str) -> Frame | None:
    """The stored reference view (grey), or None when there is none yet."""
    path = reference_path(folder, camera_id)
    if not path.exists():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return None if image is None else np.asarray(image, dtype=np.uint8)


def save_reference(folder: Path, camera_id: str, image: Frame) -> None:
    """Keep ``image`` as the view this camera should go on showing."""
    path = reference_path(folder, camera_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
