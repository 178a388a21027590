"""Sanitation: garbage dumped (乱倒垃圾) inside a camera's ``sanitation`` zones.

A new object that stops inside a sanitation zone and stays longer than the zone's
``dwell_s`` (dual background, see ``detectors.static_objects``). A person walking through
never becomes static; the dwell time keeps someone pausing for a moment from counting.
The background learns on every frame the detector sees, patrol or focus, in stream time;
the screen asks for focus once a candidate has been static a little while, and confirm
reports it when its dwell is reached.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from detectors.analytics_config import AnalyticsConfig, Zone
from detectors.frame_api import SCREEN_HIT, Frame
from detectors.model import Finding
from detectors.static_objects import DualBackground, StaticObject


@dataclass(frozen=True, slots=True)
class DumpingParams:
    """Sizes and times of the dumping detector (share of the picture, seconds)."""

    min_area: float = 0.0012
    """Least area of a dumped object, as a share of the picture (a bag at 640x360 is ~0.2 %)."""
    max_area: float = 0.08
    """Larger static changes are a parked vehicle or a lighting change, not a dump."""
    zone_overlap: float = 0.5
    """Share of the object that must lie inside the sanitation zone."""
    max_aspect: float = 1.8
    """Tallest static object (height / width) that is a dump: garbage lies low and spreads;
    a person standing still is two to four times taller than wide."""
    max_moving_near: float = 0.05
    """Most share of the object and its surroundings that may be moving when it is reported."""
    screen_after_s: float = 3.0
    """Ask for focus once a candidate has been static this long."""
    lane_margin: float = 0.025
    """How far (share of the picture's height) inside a lane zone an object's foot must be to
    stand in the lane: a bag put down at the pavement's edge is blurred a little across it."""
    window_reach: float = 0.06
    """How far (share of the picture's height) above or below an object a standing vehicle
    is looked for: a car's windows, a dark band a third of its height, cut its roof off
    from its body (a car in these scenes is 0.1 to 0.15 of the picture high)."""


class DumpingDetector:
    """Objects left in the sanitation zones of one camera."""

    kind = "sanitation.dumping"
    continuous = False

    def __init__(
        self,
        config: AnalyticsConfig,
        params: DumpingParams | None = None,
        background: DualBackground | None = None,
    ) -> None:
        self.params = params or DumpingParams()
        self.zones = config.zones_of("sanitation")
        self._roads = config.zones_of("lane") + config.zones_of("no_parking")
        self._road_mask: np.ndarray | None = None
        self._lanes = config.zones_of("lane")
        self._lane_mask: np.ndarray | None = None
        self.background = background or DualBackground()
        """May be shared with the camera's other detectors; it learns each frame once."""
        self._zone_masks: list[tuple[Zone, np.ndarray]] | None = None

    def _zones(self, shape: tuple[int, int]) -> list[tuple[Zone, np.ndarray]]:
        if self._zone_masks is None:
            h, w = shape
            self._zone_masks = [(z, z.mask(w, h)) for z in self.zones]
        return self._zone_masks

    def _candidates(self, min_age_s: float) -> list[tuple[Zone, StaticObject]]:
        evidence = self.background.evidence
        if evidence is None:
            return []
        shape = evidence.shape
        pixels = shape[0] * shape[1]
        found = []
        for obj in self.background.objects(int(self.params.min_area * pixels), min_age_s):
            if obj.area > self.params.max_area * pixels:
                continue
            for zone, mask in self._zones((shape[0], shape[1])):
                if (obj.mask & mask).sum() >= self.params.zone_overlap * obj.area:
                    found.append((zone, obj))
                    break
        return found

    def screen(self, frame: Frame, t: float) -> float:
        """Learn the frame; a hit once something has stood still in a zone a few seconds."""
        if not self.zones:
            return 0.0
        self.background.update(frame, t)
        return SCREEN_HIT if self._candidates(self.params.screen_after_s) else 0.0

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Learn the frame; a Finding when a static object has outlasted its zone's dwell."""
        if not self.zones:
            return None
        self.background.update(frame, t)
        for zone, obj in self._candidates(self.background.params.min_static_s):
            # Ghosts are healed as soon as they show, not at the dwell: a bag put down later
            # where a walker of the first picture stood would merge with the ghost and be
            # healed away with it.
            if self.background.is_ghost(obj):
                self.background.absorb(obj.mask)  # heal the long-term picture
                continue
            if obj.age_s < zone.dwell:
                continue
            x, y, bw, bh = obj.box
            if bh > self.params.max_aspect * bw:
                continue  # someone standing still: wait, they will walk on
            if self._stands_in_a_lane(obj) or self._on_a_standing_vehicle(obj):
                continue  # a vehicle waiting in the road
            if self._attended(obj):
                continue
            self.background.absorb(obj.mask)
            h, w = obj.mask.shape
            return Finding(
                kind=self.kind,
                confidence=round(min(0.95, 0.6 + 0.1 * obj.age_s / zone.dwell), 3),
                box=(round(x / w, 4), round(y / h, 4), round(bw / w, 4), round(bh / h, 4)),
                attributes={"static_s": round(obj.age_s, 1), "area": round(obj.area / (h * w), 4)},
                zone=zone.name,
            )
        return None

    def _attended(self, obj: StaticObject) -> bool:
        """True while something moves on or right around ``obj``: someone standing there
        (their legs static, their body swaying) or people passing. A dump is reported once
        it is left alone, which also keeps a standing person's lower half from counting."""
        moving = self.background.moving
        if moving is None:
            return False
        near = cv2.dilate(obj.mask.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
        return int((moving & near).sum()) > self.params.max_moving_near * int(near.sum())

    def _stands_in_a_lane(self, obj: StaticObject) -> bool:
        """True when most of ``obj``'s foot (the lowest pixel of each of its columns) is well
        inside a lane zone: it stands on the carriageway, so it is a vehicle in a queue, not
        garbage on the pavement. A whole car standing in the lane is one static object with
        nothing standing around it, which the border rule below does not see."""
        evidence = self.background.evidence
        if not self._lanes or evidence is None:
            return False
        h, w = evidence.shape
        if self._lane_mask is None:
            lanes = np.logical_or.reduce([z.mask(w, h) for z in self._lanes]).astype(np.uint8)
            margin = max(1, round(self.params.lane_margin * h))
            kernel = np.ones((2 * margin + 1, 1), np.uint8)  # up and down: the pavement's edge
            self._lane_mask = cv2.erode(lanes, kernel, borderType=cv2.BORDER_REPLICATE) > 0
        columns = np.flatnonzero(obj.mask.any(axis=0))
        feet = obj.mask.shape[0] - 1 - np.argmax(obj.mask[::-1, columns], axis=0)
        return bool(self._lane_mask[feet, columns].mean() >= 0.5)

    def _on_a_standing_vehicle(self, obj: StaticObject) -> bool:
        """True when ``obj`` borders more standing pixels in a lane or kerb zone than it has
        (within ``window_reach`` above or below, 7 pixels aside): the roof of a car waiting
        in a queue, cut off from its body by the dark windows."""
        evidence = self.background.evidence
        if not self._roads or evidence is None:
            return False
        h, w = evidence.shape
        if self._road_mask is None:
            self._road_mask = np.logical_or.reduce([z.mask(w, h) for z in self._roads])
        reach = max(7, round(self.params.window_reach * h))
        kernel = np.ones((2 * reach + 1, 15), np.uint8)
        near = cv2.dilate(obj.mask.astype(np.uint8), kernel).astype(bool)
        standing = evidence >= self.background.params.min_static_s
        if self.background.weak_static is not None:
            # A grey car's body on a grey road at dusk stands below the full threshold.
            standing = standing | self.background.weak_static
        return int((standing & self._road_mask & near & ~obj.mask).sum()) >= obj.area

    def reset(self) -> None:
        """Nothing to forget: the backgrounds are the camera's, not the focus window's."""
