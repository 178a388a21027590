"""Synthetic camera clips: decodable H.264 that looks like the scene it names."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from simulator.clips import Scene, ensure_clip, render_clip

Frame = npt.NDArray[np.uint8]


def decode(path: Path) -> tuple[list[Frame], list[int]]:
    """All frames of a raw H.264 file as RGB arrays, and the indices of key frames."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    rgb = [np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8) for f in frames]
    return rgb, [i for i, f in enumerate(frames) if f.key_frame]


def flame_pixels(rgb: Frame) -> int:
    """Pixels a naive colour rule calls flame: strong red, R > G > B, far from grey or skin."""
    r, g, b = (rgb[..., c].astype(np.int16) for c in range(3))
    return int(np.count_nonzero((r > 190) & (r > g) & (g > b) & (r - b > 100)))


@pytest.fixture(scope="module")
def fire_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "nested" / "fire.h264"
    return render_clip(Scene.FIRE, path, seconds=4, fps=10, size=(320, 180), gop=5, seed=3)


def test_fire_clip_decodes_to_requested_count_and_size(fire_clip: Path) -> None:
    frames, _ = decode(fire_clip)
    assert len(frames) == 40
    assert {f.shape for f in frames} == {(180, 320, 3)}


def test_fire_clip_has_a_key_frame_every_gop_frames(fire_clip: Path) -> None:
    _, keys = decode(fire_clip)
    assert keys == list(range(0, 40, 5))


def test_fire_appears_after_the_first_frame_and_grows(fire_clip: Path) -> None:
    frames, _ = decode(fire_clip)
    assert flame_pixels(frames[0]) == 0
    assert flame_pixels(frames[-1]) > 150
    assert flame_pixels(frames[-1]) > flame_pixels(frames[25])


def test_fire_flickers_frame_to_frame(fire_clip: Path) -> None:
    frames, _ = decode(fire_clip)
    counts = [flame_pixels(f) for f in frames[-10:]]
    assert len(set(counts)) > 5


@pytest.mark.parametrize("scene", [Scene.STREET, Scene.NIGHT])
def test_other_scenes_decode(tmp_path: Path, scene: Scene) -> None:
    path = render_clip(scene, tmp_path / "clip.h264", seconds=2, gop=10)
    frames, keys = decode(path)
    assert len(frames) == 20
    assert frames[0].shape == (360, 640, 3)
    assert keys == [0, 10]


def test_same_seed_same_clip_other_seed_other_clip(tmp_path: Path) -> None:
    a = render_clip(Scene.STREET, tmp_path / "a.h264", seconds=1, seed=7)
    b = render_clip(Scene.STREET, tmp_path / "b.h264", seconds=1, seed=7)
    c = render_clip(Scene.STREET, tmp_path / "c.h264", seconds=1, seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_ensure_clip_renders_once_and_names_the_parameters(tmp_path: Path) -> None:
    first = ensure_clip(Scene.NIGHT, tmp_path / "cache", seconds=1, seed=2, gop=5)
    mtime = first.stat().st_mtime_ns
    again = ensure_clip(Scene.NIGHT, tmp_path / "cache", seconds=1, seed=2, gop=5)
    other = ensure_clip(Scene.NIGHT, tmp_path / "cache", seconds=1, seed=3, gop=5)
    assert again == first and again.stat().st_mtime_ns == mtime
    assert other != first
    assert "night" in first.name and "gop5" in first.name and "seed2" in first.name
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(
        [first.name, other.name]
    )
