"""Wrong-way driving: a vehicle in a ``lane`` zone going against the lane's ``direction``.

Two witnesses, each reported once per vehicle and a lane's report silencing the other for
``clear_s``: the blob tracker's tracks, and the runs followed along the lane's axis
(``detectors.lane_counts``), which keep a car at night that the tracker loses between its
light cone and its dark body. Either must move against the lane for ``wrong_way_s``, go
``wrong_way_travel`` of the picture's width that way, and do it in the lane, not along its
edge (``wrong_way_centred``): the roof of a car in the next lane reaches over the border.
"""

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from detectors.analytics_config import Zone
from detectors.lane_counts import LaneLineCounter
from detectors.tracks import Track

if TYPE_CHECKING:
    from detectors.traffic import TrafficParams

Mask = npt.NDArray[np.bool_]
Box = tuple[int, int, int, int]
Against = tuple[Box, "LaneState", float]
"""(the vehicle's box in pixels, its lane, its speed in picture widths per second)."""


@dataclass(slots=True)
class LaneState:
    """One lane zone of a camera and what the traffic detector keeps about it."""

    zone: Zone
    mask: Mask
    unit: tuple[float, float] | None
    slow_s: float = 0.0
    clear_s: float = 0.0
    reported: bool = False
    runs: LaneLineCounter | None = None
    """Vehicles followed along the lane's axis (for wrong way: a car at night is a light
    cone and a dark body that a blob tracker loses, a run along the lane keeps them)."""
    wrong_way_at: float = -1e9


def lane_of(lanes: list[LaneState], track: Track) -> LaneState | None:
    """The lane whose zone holds the track's centre, if any."""
    x, y = track.position
    xi, yi = round(x), round(y)
    for lane in lanes:
        h, w = lane.mask.shape
        if 0 <= yi < h and 0 <= xi < w and lane.mask[yi, xi]:
            return lane
    return None


class WrongWay:
    """The wrong-way watch over one camera's lanes (the list is shared with the traffic
    detector, which fills it once it knows the picture's size)."""

    def __init__(self, lanes: list[LaneState], params: "TrafficParams") -> None:
        self.lanes = lanes
        self.params = params

    @property
    def width(self) -> int:
        """The working picture's width (the lanes' masks are drawn at its size)."""
        return self.lanes[0].mask.shape[1] if self.lanes else 0

    def tracks_against(self, seen: list[Track], dt: float, t: float) -> list[Against]:
        """The tracks found going the wrong way in this frame (each once)."""
        params, w = self.params, self.width
        found = []
        for track in seen:
            lane = lane_of(self.lanes, track)
            if lane is None or lane.unit is None or "wrong_way" in track.reported:
                continue
            if lane.runs is not None and not _centred(lane.runs.across_at(*track.position), params):
                continue  # the next lane's vehicle, reaching over the border
            vx, vy = track.velocity(1.0)
            speed = float(np.hypot(vx, vy))
            against = speed >= params.min_speed * w and (
                (vx * lane.unit[0] + vy * lane.unit[1]) / speed < -0.5
            )
            track.against_s = track.against_s + dt if against else 0.0
            if track.against_s < params.wrong_way_s or not _travelled_against(
                track, lane, params, w
            ):
                continue
            track.reported.add("wrong_way")
            if t - lane.wrong_way_at < params.clear_s:
                continue  # already reported from the lane's runs
            lane.wrong_way_at = t
            found.append((track.box, lane, round(speed / w, 3)))
        return found

    def runs_against(self, moving: Mask, dt: float, t: float) -> list[Against]:
        """The runs along the lanes found going the wrong way in this frame (each once)."""
        params, w = self.params, self.width
        found = []
        for lane in self.lanes:
            if lane.runs is None:
                continue
            for run in lane.runs.runs:
                if run.reported:
                    continue
                # Every recent step against the lane: a run whose centre jumps back as a
                # queue's vehicles merge and split moves on with the lane in between.
                centres = [c for _, c in run.history[-6:]]
                steady = all(b - a <= 1.0 for a, b in pairwise(centres))
                # A vehicle moved by one end of a run it shares (a queue) moves back when
                # a car joins the queue behind it, not by itself.
                steady = steady and t - run.shared_at > params.wrong_way_s
                against = steady and run.velocity <= -params.min_speed * w
                if against and run.against_s == 0.0:
                    # From where it turned: a run that followed a car one way and then the
                    # wrong-way car it met (their stretches merged) starts over there.
                    history = run.history
                    run.against_from = history[-2][1] if len(history) > 1 else run.centre
                run.against_s = run.against_s + dt if against else 0.0
                if run.against_s < params.wrong_way_s:
                    continue
                if run.against_from - run.centre < params.wrong_way_travel * w:
                    continue
                if not _centred(lane.runs.across_of(run, moving), params):
                    continue  # the next lane's vehicle, reaching over the border
                run.reported = True
                if t - lane.wrong_way_at < params.clear_s:
                    continue  # the blob tracker reported this car already
                lane.wrong_way_at = t
                found.append((lane.runs.box_of(run), lane, round(-run.velocity / w, 3)))
        return found


def _centred(across: float | None, params: "TrafficParams") -> bool:
    """``across`` (0 to 1 across a lane) is ``wrong_way_centred`` from both its edges."""
    return across is not None and abs(across - 0.5) <= 0.5 - params.wrong_way_centred


def _travelled_against(track: Track, lane: LaneState, params: "TrafficParams", w: int) -> bool:
    """The track went a real distance against the lane, not a blob's centre jumping back
    as a queue's vehicles merge and split."""
    assert lane.unit is not None
    _, x0, y0 = track.path[0]
    _, x1, y1 = track.path[-1]
    along = (x1 - x0) * lane.unit[0] + (y1 - y0) * lane.unit[1]
    return along <= -params.wrong_way_travel * w
