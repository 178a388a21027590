"""Traffic: vehicle counts per line, congestion, illegal parking and wrong-way driving.

Moving vehicles come from OpenCV's MOG2 background subtractor and a light centroid
tracker (``detectors.tracks``); stopped ones from the dual background of
``detectors.static_objects``, which MOG2 would absorb. The detector is ``continuous``
when the camera has traffic analytics (lines, lanes, no-parking zones): counting needs
every frame at the focus rate, so the camera never goes back to patrol.

* counts: where a line crosses a ``lane`` zone with a direction, vehicles are followed
  along the lane (``detectors.lane_counts``: close followers and night-time light cones
  stay apart there); elsewhere a track whose centre crosses the line is counted once;
* ``traffic.wrong_way``: a vehicle in a ``lane`` zone moving against its ``direction``
  for ``wrong_way_s`` (``detectors.wrong_way``);
* ``traffic.illegal_parking``: a vehicle-sized static object in a ``no_parking`` zone for
  the zone's ``dwell_s``;
* ``traffic.congestion``: a ``lane`` zone mostly covered by vehicles that no longer move
  at street speed, for the zone's ``dwell_s``.
"""

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.analytics_config import AnalyticsConfig, Zone
from detectors.frame_api import SCREEN_HIT, Frame
from detectors.lane_counts import LaneLineCounter
from detectors.model import Finding
from detectors.static_objects import DualBackground
from detectors.tracks import Blob, CentroidTracker, Point, Track, crosses
from detectors.wrong_way import LaneState, WrongWay, lane_of

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class TrafficParams:
    """Sizes (share of picture / of picture width) and times (seconds)."""

    min_vehicle_area: float = 0.006
    """Least blob area of a vehicle (a car at 640x360 covers ~2-3 %; a walker ~0.1 %)."""
    tau_mog_s: float = 20.0
    """MOG2 learning time constant: a vehicle stopped this long fades into its background."""
    gate: float = 0.09
    """Largest jump of a track between analysed frames, as a share of the picture width."""
    min_speed: float = 0.03
    """Picture widths per second below which a vehicle is not going anywhere."""
    wrong_way_s: float = 1.0
    wrong_way_travel: float = 0.15
    """Least distance (picture widths) a track must have gone against its lane."""
    wrong_way_centred: float = 0.25
    """Least distance (share of the lane's width) from either edge of the lane at which a
    run going against it has its moving pixels on average: a vehicle in the lane fills it
    across, the roof of a car in the next lane reaching over the border lies along one
    edge (dev seed 40307: 0.10; the wrong-way cars of ten dev clips: 0.48 to 0.55)."""
    occupancy: float = 0.12
    """Share of a lane zone covered by standing vehicles that makes it a queue (vehicles
    fill about two thirds of a lane's height, so this is a queue along ~18 % of its length;
    free-flowing traffic on the tuning clips never stood on more than 5 %)."""
    standing_s: float = 1.0
    """A vehicle pixel unchanged this long is standing (part of a queue or parked)."""
    clear_s: float = 10.0
    """A congestion or queue must be gone this long before it can be reported again."""
    dark_road: float = 32.0
    """Median grey (0-255) of the lanes' free road below which lamps, not daylight, light
    it: cars then throw light cones ahead of them (simulated night road 20-24; day 80-95,
    dusk at its darkest 44, rain 100-112)."""


class TrafficDetector:
    """The traffic analytics of one camera (all its lines and traffic zones)."""

    kind = "traffic"

    def __init__(
        self,
        config: AnalyticsConfig,
        params: TrafficParams | None = None,
        background: DualBackground | None = None,
    ) -> None:
        self.params = params or TrafficParams()
        self.config = config
        self.continuous = bool(
            config.lines or config.zones_of("lane") or config.zones_of("no_parking")
        )
        self.counts: dict[str, int] = {line.name: 0 for line in config.lines}
        self.background = background or DualBackground()
        """May be shared with the camera's other detectors; it learns each frame once."""
        self._mog = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=25)
        # A cloud shadow darkens the road by a fifth with its colour unchanged: MOG2 marks
        # that as shadow (127), and only pixels darker than 0.6 of the road count as a car.
        self._mog.setDetectShadows(True)
        self._mog.setShadowThreshold(0.6)
        self._tracker: CentroidTracker | None = None
        self._lanes: list[LaneState] = []
        self._wrong_way_watch = WrongWay(self._lanes, self.params)
        self._no_parking: list[tuple[Zone, Mask]] = []
        self._lane_counters: list[tuple[str, LaneState, LaneLineCounter]] = []
        self._frames = 0
        self._last_t: float | None = None
        self._pending: list[Finding] = []
        self._size = (0, 0)
        self._dark = False
        self._road: Mask | None = None

    def _setup(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self._size = (w, h)
        self._tracker = CentroidTracker(gate_px=self.params.gate * w)
        for zone in self.config.zones_of("lane"):
            unit = None
            if zone.direction is not None:
                dx, dy = zone.direction[0] * w, zone.direction[1] * h
                norm = float(np.hypot(dx, dy))
                unit = (dx / norm, dy / norm)
            lane = LaneState(zone, zone.mask(w, h), unit)
            if unit is not None and lane.mask.any():
                ys, xs = np.nonzero(lane.mask)
                lane.runs = LaneLineCounter(lane.mask, unit, (float(xs.mean()), float(ys.mean())))
            self._lanes.append(lane)
        self._no_parking = [(z, z.mask(w, h)) for z in self.config.zones_of("no_parking")]
        for line in self.config.lines:
            for lane in self._lanes:
                crossing = _crossing(line.points, lane.mask)
                if lane.unit is not None and crossing is not None:
                    counter = LaneLineCounter(lane.mask, lane.unit, crossing)
                    self._lane_counters.append((line.name, lane, counter))

    def screen(self, frame: Frame, t: float) -> float:
        """Traffic analytics keep the camera in focus; without them there is nothing to do."""
        if not self.continuous:
            return 0.0
        self._step(frame, t)
        return SCREEN_HIT

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Analyse one focus frame; the oldest event not yet handed over, if any."""
        if self.continuous:
            self._step(frame, t)
        return self._pending.pop(0) if self._pending else None

    def reset(self) -> None:
        """Nothing to forget: tracks and backgrounds outlive a confirmed event."""

    # -- one frame ------------------------------------------------------------------------

    def _step(self, frame: Frame, t: float) -> None:
        image = self.background.update(frame, t)
        relit = self.background.relit
        assert relit is not None
        if self._tracker is None:
            self._setup((image.shape[0], image.shape[1]))
        assert self._tracker is not None
        dt = 0.0 if self._last_t is None else float(np.clip(t - self._last_t, 0.0, 5.0))
        self._last_t = t
        rate = 1.0 if dt == 0.0 else 1.0 - float(np.exp(-dt / self.params.tau_mog_s))
        foreground = np.asarray(self._mog.apply(relit, learningRate=rate), dtype=np.uint8)
        self._frames += 1
        if self._frames > 2:  # MOG2 calls its whole first picture foreground
            moving = foreground > 127
            if self._frames % 25 == 3:  # the road's light changes slowly
                self._dark = self._road_is_dark(relit, moving)
            for name, _, counter in self._lane_counters:
                before = counter.count
                counter.update(moving, t, self._dark)
                self.counts[name] += counter.count - before
            for lane in self._lanes:
                if lane.runs is not None:
                    lane.runs.update(moving, t)
            self._wrong_way_runs(moving, dt, t)
        blobs = self._blobs(foreground)
        seen = self._tracker.update(blobs, t)
        self._count(seen)
        self._wrong_way(seen, dt, t)
        self._congestion(dt)
        self._parking()

    def _road_is_dark(self, relit: npt.NDArray[np.uint8], moving: Mask) -> bool:
        """The lanes' free road (no vehicle on it) is darker than ``dark_road``."""
        if self._road is None:
            self._road = np.zeros(moving.shape, bool)
            for _, lane, _ in self._lane_counters:
                self._road |= lane.mask
        free = self._road & ~moving
        if not free.any():
            return self._dark
        grey = relit[free].mean(axis=-1) if relit.ndim == 3 else relit[free]
        return float(np.median(grey)) < self.params.dark_road

    def _blobs(self, foreground: npt.NDArray[np.uint8]) -> list[Blob]:
        """Vehicle-sized foreground regions, taken lane by lane where lanes are drawn.

        Vehicles in neighbouring lanes touch in the picture (the near one hides the far
        one's wheels); cutting the foreground along the lane zones keeps them apart.
        """
        opened = cv2.morphologyEx(
            (foreground > 127).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
        )
        mask = np.asarray(
            cv2.morphologyEx(opened, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8)), np.uint8
        )
        if not self._lanes:
            return self._components(mask)
        rest = mask.copy()
        blobs = []
        for lane in self._lanes:
            blobs += self._components(mask * lane.mask.astype(np.uint8))
            rest[lane.mask] = 0
        return blobs + self._components(rest)

    def _components(self, mask: npt.NDArray[np.uint8]) -> list[Blob]:
        w, h = self._size
        count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_area = self.params.min_vehicle_area * w * h
        blobs = []
        for label in range(1, count):
            area = int(stats[label, cv2.CC_STAT_AREA])
            if area < min_area:
                continue
            x, y = int(stats[label, cv2.CC_STAT_LEFT]), int(stats[label, cv2.CC_STAT_TOP])
            bw, bh = int(stats[label, cv2.CC_STAT_WIDTH]), int(stats[label, cv2.CC_STAT_HEIGHT])
            cx, cy = centroids[label]
            blobs.append(Blob(float(cx), float(cy), (x, y, bw, bh), area))
        return blobs

    def _count(self, seen: list[Track]) -> None:
        """Tracks crossing the lines, outside the lanes that count for themselves."""
        w, h = self._size
        by_lane = {(name, id(lane)) for name, lane, _ in self._lane_counters}
        for track in seen:
            if len(track.path) < 2:
                continue
            _, x0, y0 = track.path[-2]
            _, x1, y1 = track.path[-1]
            lane = lane_of(self._lanes, track)
            for line in self.config.lines:
                if line.name in track.counted:
                    continue
                if (line.name, id(lane)) in by_lane:
                    continue
                (px, py), (qx, qy) = line.points
                if crosses((x0, y0), (x1, y1), (px * w, py * h), (qx * w, qy * h)):
                    track.counted.add(line.name)
                    self.counts[line.name] += 1

    def _wrong_way(self, seen: list[Track], dt: float, t: float) -> None:
        for box, lane, speed in self._wrong_way_watch.tracks_against(seen, dt, t):
            self._report_wrong_way(box, lane, speed)

    def _wrong_way_runs(self, moving: Mask, dt: float, t: float) -> None:
        for box, lane, speed in self._wrong_way_watch.runs_against(moving, dt, t):
            self._report_wrong_way(box, lane, speed)

    def _report_wrong_way(
        self, box: tuple[int, int, int, int], lane: LaneState, speed: float
    ) -> None:
        finding = self._finding("traffic.wrong_way", 0.8, box, lane.zone.name, {"speed": speed})
        self._pending.append(finding)

    def _congestion(self, dt: float) -> None:
        """A lane mostly covered by vehicles that stand (a queue), for the lane's dwell.

        Standing vehicles are the dual background's static pixels (new since the long-term
        picture, unchanged over the short term): cars arriving at the back of a queue keep
        moving for a moment and do not interrupt it; free-flowing traffic never stands."""
        evidence = self.background.evidence
        changed = self.background.changed
        if evidence is None or changed is None:
            return
        standing = evidence >= self.params.standing_s
        for lane in self._lanes:
            area = int(lane.mask.sum())
            if area == 0:
                continue
            occupancy = float((standing & lane.mask).sum()) / area
            if occupancy >= self.params.occupancy:
                lane.slow_s += dt
                lane.clear_s = 0.0
            else:
                lane.clear_s += dt
                if lane.clear_s >= 3.0:
                    lane.slow_s = 0.0
                if lane.clear_s >= self.params.clear_s:
                    lane.reported = False
            if lane.slow_s >= lane.zone.dwell and not lane.reported:
                lane.reported = True
                ys, xs = np.nonzero(standing & lane.mask)
                box = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
                self._pending.append(
                    self._finding(
                        "traffic.congestion",
                        round(min(0.95, 0.5 + occupancy / 2), 3),
                        box,
                        lane.zone.name,
                        {"occupancy": round(occupancy, 3), "slow_s": round(lane.slow_s, 1)},
                    )
                )

    def _parking(self) -> None:
        if not self._no_parking:
            return
        w, h = self._size
        min_area = int(self.params.min_vehicle_area * w * h)
        for obj in self.background.objects(min_area, traced=True):
            for zone, mask in self._no_parking:
                inside = int((obj.mask & mask).sum())
                if inside < 0.5 * obj.area or obj.age_s < zone.dwell:
                    continue
                self.background.absorb(obj.mask)
                self._pending.append(
                    self._finding(
                        "traffic.illegal_parking",
                        round(min(0.95, 0.6 + 0.1 * obj.age_s / zone.dwell), 3),
                        obj.box,
                        zone.name,
                        {"stopped_s": round(obj.age_s, 1)},
                    )
                )
                break

    def _finding(
        self,
        kind: str,
        confidence: float,
        box: tuple[int, int, int, int],
        zone: str | None,
        attributes: dict[str, float],
    ) -> Finding:
        w, h = self._size
        x, y, bw, bh = box
        normalised = (round(x / w, 4), round(y / h, 4), round(bw / w, 4), round(bh / h, 4))
        return Finding(kind, confidence, normalised, attributes, zone)


def _crossing(points: tuple[tuple[float, float], tuple[float, float]], lane: Mask) -> Point | None:
    """Mean point (pixels) of the line's stretch inside ``lane``, or None if it misses it."""
    h, w = lane.shape
    (px, py), (qx, qy) = points
    steps = np.linspace(0.0, 1.0, 2 * (w + h))
    xs = np.clip(np.round((px + (qx - px) * steps) * (w - 1)), 0, w - 1).astype(np.int64)
    ys = np.clip(np.round((py + (qy - py) * steps) * (h - 1)), 0, h - 1).astype(np.int64)
    inside = lane[ys, xs]
    if not inside.any():
        return None
    return (float(xs[inside].mean()), float(ys[inside].mean()))
