"""Counting vehicles where a counting line crosses a lane: 1-D vehicle tracks along the lane.

A blob tracker in 2-D loses a vehicle's identity exactly where counting needs it: two cars
following closely merge into one blob, a car at night splits into its headlight cone and
its tail light, and the new pieces start new tracks on the far side of the line. Inside a
lane the travel axis is known, so each frame's foreground is folded onto that axis (the
share of the lane's pixels that are foreground at each position along it). Vehicles are
runs of that profile, separated by any gap of road, which keeps a queue's cars apart;
runs shorter than a vehicle (a tail light, a walker's foot) are ignored. Runs are
tracked along the axis from frame to frame; a track is counted once when its centre has
been at least ``margin`` on one side of the line and then ``margin`` on the other
(hysteresis: a vehicle that stops on the line is counted once, not each time it shivers).
"""

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ProfileParams:
    """Sizes as shares of the lane's length along its axis; times in seconds."""

    occupied: float = 0.25
    """A position along the lane is occupied when this share of the lane across it is."""
    reach: float = 0.05
    """A run extends through positions where at least this share of the lane is foreground."""
    min_length: float = 0.05
    """Shortest run that is a vehicle (a tail light or a foot is shorter)."""
    gate: float = 0.1
    """Largest move of a run between analysed frames."""
    margin: float = 0.015
    """How far past the line a run's centre must be, on each side, to count."""
    max_misses: int = 2


@dataclass(slots=True)
class _Run:
    """A vehicle followed along one lane's axis (positions in pixels along the axis)."""

    centre: float
    start: float
    end: float
    t: float
    side: int
    velocity: float = 0.0
    misses: int = 0
    counted: bool = False
    history: list[tuple[float, float]] = field(default_factory=list)
    origin: float = 0.0
    """Where along the axis the run was first seen."""
    against_s: float = 0.0
    """How long it has moved against the lane's direction (kept by the caller)."""
    reported: bool = False


class LaneLineCounter:
    """Counts vehicles crossing one line inside one lane zone."""

    def __init__(
        self,
        lane: Mask,
        axis: tuple[float, float],
        crossing: tuple[float, float],
        params: ProfileParams | None = None,
    ) -> None:
        """``lane`` is the lane's mask, ``axis`` a unit vector along it (pixels),
        ``crossing`` the point (pixels) where the counting line crosses the lane."""
        self.params = params or ProfileParams()
        ys, xs = np.nonzero(lane)
        s = xs * axis[0] + ys * axis[1]
        self._origin = float(s.min())
        self._bins = np.round(s - self._origin).astype(np.int64)
        self._pixels = (ys, xs)
        self._size = int(self._bins.max()) + 1
        self._across = np.bincount(self._bins, minlength=self._size).astype(np.float32)
        self._across[self._across == 0] = 1.0
        self.line_at = crossing[0] * axis[0] + crossing[1] * axis[1] - self._origin
        self.count = 0
        self._runs: list[_Run] = []

    def update(self, foreground: Mask, t: float) -> None:
        """Fold one frame's foreground onto the lane's axis and move the runs on."""
        p = self.params
        hit = foreground[self._pixels].astype(np.float32)
        profile = np.bincount(self._bins, weights=hit, minlength=self._size) / self._across
        # Hysteresis along the lane: a run holds a stretch at least ``occupied`` and
        # extends through any stretch at least ``reach`` (a light cone narrowing to its lamp).
        reach = np.concatenate(([False], profile >= p.reach, [False]))
        edges = np.flatnonzero(np.diff(reach.astype(np.int8)))
        starts, ends = edges[0::2], edges[1::2]
        seeded = np.concatenate(([0], np.cumsum(profile >= p.occupied)))
        keep = ((ends - starts) >= p.min_length * self._size) & (seeded[ends] > seeded[starts])
        self._track(list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)), t)

    @property
    def runs(self) -> list[_Run]:
        """The vehicles followed along the lane, seen in the last update."""
        return [r for r in self._runs if r.misses == 0]

    def box_of(self, run: _Run) -> tuple[int, int, int, int]:
        """The run's stretch of the lane as a box (x, y, width, height) in pixels."""
        start, end = run.start - 0.5, run.end + 0.5
        inside = (self._bins >= start) & (self._bins <= end)
        ys, xs = self._pixels[0][inside], self._pixels[1][inside]
        if xs.size == 0:
            return (0, 0, 0, 0)
        return (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)

    def _side(self, centre: float) -> int:
        margin = self.params.margin * self._size
        if centre < self.line_at - margin:
            return -1
        if centre > self.line_at + margin:
            return 1
        return 0

    def _track(self, found: list[tuple[int, int]], t: float) -> None:
        gate = self.params.gate * self._size
        pairs = []
        for ri, run in enumerate(self._runs):
            predicted = run.centre + run.velocity * (t - run.t)
            for fi, (s0, s1) in enumerate(found):
                # A run may grow or shrink at either end (a car entering the picture):
                # match on the nearer of centre and ends.
                d = min(
                    abs((s0 + s1) / 2 - predicted),
                    abs(s0 - (run.start + run.velocity * (t - run.t))),
                    abs(s1 - (run.end + run.velocity * (t - run.t))),
                )
                if d <= gate:
                    pairs.append((d, ri, fi))
        pairs.sort()
        used_r: set[int] = set()
        used_f: set[int] = set()
        for _, ri, fi in pairs:
            if ri in used_r or fi in used_f:
                continue
            used_r.add(ri)
            used_f.add(fi)
            self._observe(self._runs[ri], found[fi], t)
        for ri, run in enumerate(self._runs):
            if ri not in used_r:
                run.misses += 1
        self._runs = [r for r in self._runs if r.misses <= self.params.max_misses]
        for fi, (s0, s1) in enumerate(found):
            if fi not in used_f:
                centre = (s0 + s1) / 2
                side = self._side(centre)
                run = _Run(centre, s0, s1, t, side, history=[(t, centre)], origin=centre)
                self._runs.append(run)

    def _observe(self, run: _Run, extent: tuple[int, int], t: float) -> None:
        s0, s1 = extent
        centre = (s0 + s1) / 2
        run.history = [*run.history[-6:], (t, centre)]
        t0, c0 = run.history[0]
        run.velocity = (centre - c0) / (t - t0) if t > t0 else 0.0
        run.centre, run.start, run.end, run.t, run.misses = centre, s0, s1, t, 0
        side = self._side(centre)
        if side == 0:
            return
        if run.side != 0 and side != run.side and not run.counted:
            run.counted = True
            self.count += 1
        run.side = side
