"""Counting vehicles where a counting line crosses a lane: 1-D vehicle tracks along the lane.

A blob tracker in 2-D loses a vehicle's identity exactly where counting needs it: two cars
following closely merge into one blob, a car at night splits into its headlight cone and
its tail light, and the new pieces start new tracks on the far side of the line. Inside a
lane the travel axis is known, so each frame's foreground is folded onto that axis (the
share of the lane's pixels that are foreground at each position along it). Vehicles are
runs of that profile, separated by any gap of road, which keeps a queue's cars apart;
runs shorter than a vehicle (a tail light, a walker's foot) are ignored. Runs are
tracked along the axis from frame to frame; a track is counted once, when its centre,
after having been at least ``margin`` on one side of the line, passes the line (hysteresis:
a vehicle first seen on the line is not counted until it has been clear of it; one that
stops on the line is counted once, not each time it shivers).
A vehicle is rigid: when followers merge into one run, each keeps its own length and is
moved by the end of the run that belongs to it (the first by the front, the last by the
rear), so neither is lost and no centre jumps across the line.

On a dark road a dark car is seen in pieces: its body (where lamps light it) and the far end of
the light cone its headlamps throw on the road ahead, joined only by the cone's thin end,
which is often too faint for the foreground. The pieces drive at one speed a few pixels
apart and each crosses the line. A run that crosses is a piece of a vehicle, not one of
its own, when it keeps the speed of a run next to it and is either shorter than a
vehicle (the shorter rides with the longer) or was first seen where vehicles do not
appear, inside the lane or split off a run, next to one already counted. By daylight
there are no light cones, and a short run riding with another is a car seen in part
(a grey car on a grey road, in a cloud's shadow): there every run counts.
"""

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
_CENTRE = 2
"""Anchor of a match on a whole stretch (0 and 1 are its start and end)."""
ROOM_SLACK = 1.2
"""Vehicles sharing a stretch may overrun it by this factor (their ends are measured
only to a few pixels, a light cone grows and shrinks)."""


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
    """How far before the line a run's centre must have been to count when it passes it."""
    max_misses: int = 2
    vehicle_length: float = 0.1
    """Shortest whole vehicle: a shorter run riding with a longer one is a piece of it."""
    companion_gap: float = 0.1
    """Largest gap between a short piece and the vehicle it rides with."""
    joined_gap: float = 0.01
    """Largest gap between a piece that appeared inside the lane and the counted vehicle
    it rides with: split off at a faint neck, it touches it (a follower keeps a gap)."""
    same_speed: float = 0.2
    """Speeds within this share of each other are the same (a rigid vehicle's parts)."""


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
    against_s: float = 0.0
    """How long it has moved against the lane's direction (kept by the caller)."""
    against_from: float = 0.0
    """Where along the axis it began to move against the lane (kept by the caller)."""
    reported: bool = False
    shared_at: float = -1e9
    """When it last shared its run with another vehicle (moved by one end only)."""
    crossed: bool = False
    """Its centre went over the line in this update (counted once the frame is matched)."""
    piece: bool = False
    """It crossed as a piece of another vehicle and was not counted."""
    born_inside: bool = False
    """First seen away from the lane's ends (vehicles drive in at an end), or split off
    a run that shrank by it."""


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
        self._axis = axis
        across = ys * axis[0] - xs * axis[1]  # perpendicular to the axis
        self._across_span = (float(across.min()), max(1.0, float(np.ptp(across))))
        self._offset = (across - self._across_span[0]) / self._across_span[1]
        """Each lane pixel's place across the lane, 0 to 1."""
        self._size = int(self._bins.max()) + 1
        self._across = np.bincount(self._bins, minlength=self._size).astype(np.float32)
        self._across[self._across == 0] = 1.0
        self.line_at = crossing[0] * axis[0] + crossing[1] * axis[1] - self._origin
        self.count = 0
        self._runs: list[_Run] = []
        self._dark = False
        self._started = False
        """Past the first update (runs seen then were in the picture already)."""

    def update(self, foreground: Mask, t: float, dark: bool = False) -> None:
        """Fold one frame's foreground onto the lane's axis and move the runs on; ``dark``
        when lamps, not daylight, light the road (cars show their light cones)."""
        self._dark = dark
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

    def across_of(self, run: _Run, foreground: Mask) -> float | None:
        """Where across the lane (0 to 1) the run's foreground pixels lie on average; None
        when it has none."""
        inside = (self._bins >= run.start - 0.5) & (self._bins <= run.end + 0.5)
        hit = inside & foreground[self._pixels]
        return float(self._offset[hit].mean()) if hit.any() else None

    def across_at(self, x: float, y: float) -> float:
        """Where across the lane (0 to 1) the point (pixels) lies."""
        low, span = self._across_span
        return (y * self._axis[0] - x * self._axis[1] - low) / span

    def _side(self, centre: float) -> int:
        margin = self.params.margin * self._size
        if centre < self.line_at - margin:
            return -1
        if centre > self.line_at + margin:
            return 1
        return 0

    def _track(self, found: list[tuple[int, int]], t: float) -> None:
        """Match runs to this frame's stretches, nearest first. A stretch's two ends may go
        to two runs: close followers merged into one stretch keep their own vehicles, the
        first by the stretch's front, the last by its rear."""
        pairs = self._candidates(found, t)
        pairs.sort()
        # Lengths before this update, to tell a piece split off a run (only in the dark).
        before = {id(r): r.end - r.start for r in self._runs} if self._dark else {}
        matched: set[int] = set()
        claimed: dict[tuple[int, int], float] = {}
        """(stretch, end) -> length of the run that holds it."""
        holders: dict[tuple[int, int], _Run] = {}
        for _, ri, fi, anchor, step in pairs:
            run = self._runs[ri]
            ends = [(fi, 0), (fi, 1)] if anchor == _CENTRE else [(fi, anchor)]
            if ri in matched or any(e in claimed for e in ends):
                continue
            if anchor != _CENTRE and not self._room_for(
                run, found[fi], claimed.get((fi, 1 - anchor))
            ):
                continue
            matched.add(ri)
            claimed.update(dict.fromkeys(ends, run.end - run.start))
            holders[(fi, anchor)] = run
            self._observe(run, found[fi], anchor, step, t)
        for (fi, anchor), run in holders.items():
            if anchor != _CENTRE and (fi, 1 - anchor) in claimed:
                run.shared_at = t
        for run in [r for r in self._runs if r.crossed]:
            run.crossed, run.counted = False, True
            run.piece = self._rides_with_vehicle(run)
            if not run.piece:
                self.count += 1
        for ri, run in enumerate(self._runs):
            if ri not in matched:
                run.misses += 1
        self._runs = [r for r in self._runs if r.misses <= self.params.max_misses]
        for fi, (s0, s1) in enumerate(found):
            if (fi, 0) not in claimed and (fi, 1) not in claimed:
                centre = (s0 + s1) / 2
                side = self._side(centre)
                run = _Run(centre, s0, s1, t, side, history=[(t, centre)])
                edge = self.params.vehicle_length * self._size
                inside = s0 >= edge and s1 <= self._size - edge
                # Vehicles already in the picture when counting starts stand anywhere.
                apart = inside or (self._dark and self._split_off(run, before))
                run.born_inside = self._started and apart
                self._runs.append(run)
        self._started = True

    def _split_off(self, new: _Run, before: dict[int, float]) -> bool:
        """The new run came apart from a followed run next to it, which lost about its
        length in this update."""
        length = new.end - new.start
        for run in self._runs:
            if run.misses > 0 or id(run) not in before:
                continue
            gap = max(run.start - new.end, new.start - run.end)
            lost = before[id(run)] - (run.end - run.start)
            if gap <= self.params.companion_gap * self._size and lost >= 0.5 * length:
                return True
        return False

    @staticmethod
    def _room_for(run: _Run, extent: tuple[int, int], other: float | None) -> bool:
        """A stretch holds two vehicles, one at each end, only if it is long enough for
        both (else they are one vehicle followed twice); and one vehicle fits in it."""
        length = extent[1] - extent[0]
        own = run.end - run.start
        return own + (other or 0.0) <= ROOM_SLACK * length

    def _candidates(
        self, found: list[tuple[int, int]], t: float
    ) -> list[tuple[float, int, int, int, float]]:
        """(distance, run, stretch, anchor, step) for every match within the gate: a run
        may grow or shrink at either end (a car entering the picture, a follower merging,
        a light cone), so it matches on whichever of its centre and ends moved as
        predicted. An end at the lane's border is where the picture cuts the vehicle off,
        not where it ends."""
        gate = self.params.gate * self._size
        pairs = []
        for ri, run in enumerate(self._runs):
            shift = run.velocity * (t - run.t)
            for fi, (s0, s1) in enumerate(found):
                steps = [(_CENTRE, (s0 + s1) / 2 - run.centre)]
                if s0 > 0 and run.start > 0:
                    steps.append((0, s0 - run.start))
                if s1 < self._size and run.end < self._size:
                    steps.append((1, s1 - run.end))
                for anchor, step in steps:
                    d = abs(step - shift)
                    if d <= gate:
                        pairs.append((d, ri, fi, anchor, step))
        return pairs

    def _observe(
        self, run: _Run, extent: tuple[int, int], anchor: int, step: float, t: float
    ) -> None:
        """A vehicle is rigid: matched by one end of a stretch it shares with another
        vehicle, it moves by that end's step and keeps its own length."""
        if anchor == _CENTRE:
            s0, s1 = float(extent[0]), float(extent[1])
        else:
            s0, s1 = run.start + step, run.end + step
        centre = (s0 + s1) / 2
        run.history = [*run.history[-6:], (t, centre)]
        t0, c0 = run.history[0]
        run.velocity = (centre - c0) / (t - t0) if t > t0 else 0.0
        run.centre, run.start, run.end, run.t, run.misses = centre, s0, s1, t, 0
        side = self._side(centre)
        if run.side != 0 and not run.counted and (centre - self.line_at) * run.side < 0:
            # Counted where its centre passes the line, as a labeller would count it, not
            # ``margin`` past it: a car crossing in the last moments of a clip (or of a
            # camera's focus) is counted, and a counted run is never counted again anyway.
            run.crossed = True
            side = side or -run.side
        if side != 0:
            run.side = side

    def _rides_with_vehicle(self, run: _Run) -> bool:
        """On a dark road, the run is a piece of a vehicle next to it at the same speed:
        shorter than a vehicle and within ``companion_gap`` of a longer run that is
        counted or still to cross, or first seen inside the lane or split off a run and
        touching (``joined_gap``) one already counted (see the module's docstring)."""
        p = self.params
        length = run.end - run.start
        short = length < p.vehicle_length * self._size
        if not self._dark or len(run.history) < 2:
            return False
        for other in self._runs:
            if other is run or other.misses > 0 or other.piece or len(other.history) < 3:
                continue
            if other.side == run.side and not other.counted:
                continue  # first seen past the line: the vehicle is not counted yet
            gap = max(other.start - run.end, run.start - other.end)
            v, w = _recent_speed(run), _recent_speed(other)
            fast = max(abs(v), abs(w))
            if fast == 0 or abs(v - w) > p.same_speed * fast:
                continue
            longer = other.end - other.start > length
            if short and longer and gap <= p.companion_gap * self._size:
                return True
            split = run.born_inside or other.born_inside
            if split and other.counted and gap <= p.joined_gap * self._size:
                return True
        return False


def _recent_speed(run: _Run) -> float:
    """Median speed of the steps in its history: one step jumps when a piece splits off the
    run (its centre moves by half the piece), when the run grows by a piece or when a faint
    end flickers, and a short piece's few pixels make that a large share of its speed; the
    median of the steps around it does not jump (the mean over the steps does)."""
    steps = [
        (c1 - c0) / (t1 - t0)
        for (t0, c0), (t1, c1) in zip(run.history, run.history[1:], strict=False)
        if t1 > t0
    ]
    return float(np.median(steps)) if steps else 0.0
