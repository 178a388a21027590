"""Evidence on disk: written where the API serves it, pruned by age and by size."""

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest.snapshot_store import (
    load_reference,
    prune_snapshots,
    reference_path,
    save_reference,
    write_snapshot,
)

DAY = 86400.0


def picture() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 255, (360, 640, 3), dtype=np.uint8)


def aged(path: Path, days: float, now: float) -> None:
    os.utime(path, (now - days * DAY, now - days * DAY))


def test_a_snapshot_is_a_jpeg_in_the_camera_folder_named_by_time_and_kind(tmp_path: Path) -> None:
    at = datetime(2026, 11, 27, 8, 30, 1, 250000, tzinfo=UTC)
    path = write_snapshot(tmp_path, "cam-nmy-01", "fire", at, picture())
    assert path == str(tmp_path / "cam-nmy-01" / "20261127T083001250000-fire.jpg")
    assert Path(path).read_bytes()[:2] == b"\xff\xd8"


def test_old_snapshots_go_and_then_the_oldest_until_the_rest_fit(tmp_path: Path) -> None:
    now = 2_000_000_000.0
    paths = [
        write_snapshot(tmp_path, "cam-a", "fire", datetime.fromtimestamp(n, UTC), picture())
        for n in range(5)
    ]
    for age, path in zip([100, 20, 10, 5, 1], paths, strict=True):
        assert path is not None
        aged(Path(path), age, now)
    size = Path(str(paths[0])).stat().st_size
    pruned = prune_snapshots(tmp_path, keep_s=30 * DAY, max_bytes=int(2.5 * size), now=now)
    assert pruned.removed == 3 and pruned.kept == 2
    assert [Path(str(p)).exists() for p in paths] == [False, False, False, True, True]


def test_references_live_in_a_folder_of_their_own_and_are_never_pruned(tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    view = picture()[:, :, 1]
    save_reference(snapshots, "cam-a", view)
    assert reference_path(snapshots, "cam-a").parent == snapshots / ".references"
    prune_snapshots(snapshots, keep_s=0, max_bytes=0)
    kept = load_reference(snapshots, "cam-a")
    assert kept is not None and np.array_equal(kept, view)
    assert load_reference(snapshots, "cam-b") is None
