"""Synthetic 天网 street-camera clips: numpy/cv2 scenes encoded to raw Annex-B H.264.

Each clip is a reproducible function of its scene, size, frame rate, GOP, length
and seed. The encoding is what a real camera sub-stream looks like to a decoder:
libx264, yuv420p, no B-frames, a key frame every ``gop`` frames with SPS/PPS
repeated before each one, so a client joining mid-stream can start decoding at
the next key frame.
"""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av

from simulator.scenes import Scene, frames

# Bump when a scene is drawn differently so cached clips are rendered again.
RENDER_VERSION = 1

__all__ = ["RENDER_VERSION", "Scene", "clip_name", "ensure_clip", "render_clip"]


def render_clip(
    scene: Scene,
    path: Path,
    *,
    seconds: float = 10.0,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    gop: int = 10,
    seed: int = 0,
) -> Path:
    """Render ``scene`` to a raw Annex-B H.264 file at ``path`` and return the path."""
    width, height = size
    if width % 2 or height % 2 or width < 160 or height < 90:
        raise ValueError(f"size must be even and at least 160x90, got {width}x{height}")
    if fps < 1 or gop < 1 or seconds <= 0:
        raise ValueError(f"fps, gop and seconds must be positive, got {fps}, {gop}, {seconds}")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = max(1, round(seconds * fps))
    with av.open(str(path), mode="w", format="h264") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.gop_size = gop
        stream.max_b_frames = 0
        stream.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "x264-params": (
                f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:repeat-headers=1:threads=1"
            ),
        }
        for i, rgb in enumerate(frames(scene, count, fps, size, seed)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def clip_name(
    scene: Scene,
    *,
    seconds: float = 10.0,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    gop: int = 10,
    seed: int = 0,
) -> str:
    """The cache file name that identifies a clip by everything it was rendered from."""
    width, height = size
    return (
        f"{scene.value}-{width}x{height}-{fps}fps-gop{gop}-{seconds:g}s-seed{seed}"
        f"-v{RENDER_VERSION}.h264"
    )


def ensure_clip(
    scene: Scene,
    directory: Path,
    *,
    seconds: float = 10.0,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    gop: int = 10,
    seed: int = 0,
) -> Path:
    """Return the cached clip in ``directory``, rendering it first if it is missing."""
    path = directory / clip_name(scene, seconds=seconds, fps=fps, size=size, gop=gop, seed=seed)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        render_clip(scene, tmp, seconds=seconds, fps=fps, size=size, gop=gop, seed=seed)
        os.replace(tmp, path)  # atomic: concurrent renderers never see half a clip
    finally:
        tmp.unlink(missing_ok=True)
    return path
