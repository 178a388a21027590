"""A light centroid tracker for vehicles: blobs in, tracks with their recent path out.

Greedy nearest-neighbour matching of blob centres frame to frame, gated by distance, in
stream time. Enough for fixed street cameras at 5 frames a second where vehicles are
well separated; it makes no claim to follow occluded vehicles through a crowd.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Blob:
    """A foreground region in working-picture pixels."""

    cx: float
    cy: float
    box: tuple[int, int, int, int]
    area: int


@dataclass(slots=True)
class Track:
    """One vehicle followed over frames."""

    id: int
    path: deque[tuple[float, float, float]] = field(default_factory=lambda: deque(maxlen=40))
    """(t, cx, cy) of the last observations."""
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    hits: int = 0
    misses: int = 0
    counted: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)
    against_s: float = 0.0
    """How long the track has moved against its lane's direction."""

    @property
    def position(self) -> Point:
        """Last known centre."""
        _, x, y = self.path[-1]
        return (x, y)

    def velocity(self, span_s: float = 1.0) -> Point:
        """Mean velocity (pixels per second) over the last ``span_s`` of the path."""
        if len(self.path) < 2:
            return (0.0, 0.0)
        t1, x1, y1 = self.path[-1]
        t0, x0, y0 = self.path[-1]
        for t, x, y in reversed(self.path):
            if t1 - t > span_s:
                break
            t0, x0, y0 = t, x, y
        dt = t1 - t0
        if dt <= 0:
            return (0.0, 0.0)
        return ((x1 - x0) / dt, (y1 - y0) / dt)


class CentroidTracker:
    """Keeps tracks alive across frames; a track ends after ``max_misses`` frames unseen."""

    def __init__(self, gate_px: float, max_misses: int = 3) -> None:
        self.gate_px = gate_px
        self.max_misses = max_misses
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, blobs: list[Blob], t: float) -> list[Track]:
        """Match ``blobs`` seen at ``t`` to tracks; returns the tracks seen in this frame."""
        pairs = []
        for ti, track in enumerate(self.tracks):
            px, py = self._predict(track, t)
            for bi, blob in enumerate(blobs):
                d = float(np.hypot(blob.cx - px, blob.cy - py))
                if d <= self.gate_px:
                    pairs.append((d, ti, bi))
        pairs.sort()
        used_t: set[int] = set()
        used_b: set[int] = set()
        seen = []
        for _, ti, bi in pairs:
            if ti in used_t or bi in used_b:
                continue
            used_t.add(ti)
            used_b.add(bi)
            self._observe(self.tracks[ti], blobs[bi], t)
            seen.append(self.tracks[ti])
        for ti, track in enumerate(self.tracks):
            if ti not in used_t:
                track.misses += 1
        self.tracks = [tr for tr in self.tracks if tr.misses <= self.max_misses]
        for bi, blob in enumerate(blobs):
            if bi not in used_b:
                track = Track(id=self._next_id)
                self._next_id += 1
                self._observe(track, blob, t)
                self.tracks.append(track)
                seen.append(track)
        return seen

    @staticmethod
    def _predict(track: Track, t: float) -> Point:
        vx, vy = track.velocity(0.6)
        t_last, x, y = track.path[-1]
        dt = min(1.0, t - t_last)
        return (x + vx * dt, y + vy * dt)

    @staticmethod
    def _observe(track: Track, blob: Blob, t: float) -> None:
        track.path.append((t, blob.cx, blob.cy))
        track.box = blob.box
        track.hits += 1
        track.misses = 0


def crosses(a: Point, b: Point, p: Point, q: Point) -> bool:
    """True when the step a→b crosses the segment p–q (touching the start does not count)."""

    def side(o: Point, u: Point, v: Point) -> float:
        return (u[0] - o[0]) * (v[1] - o[1]) - (u[1] - o[1]) * (v[0] - o[0])

    d1, d2 = side(p, q, a), side(p, q, b)
    d3, d4 = side(a, b, p), side(a, b, q)
    return (d1 > 0) != (d2 > 0) and d2 != 0 and (d3 > 0) != (d4 > 0)
