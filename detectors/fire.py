"""Fire: flame-coloured pixels (YCbCr rules) that stay put and flicker.

Colour rules after Çelik & Demirel, "Fire detection in video sequences using a generic
color model", Fire Safety Journal 44 (2009): a flame pixel has Y > Cb, Cr > Cb, is
brighter and redder than the picture's mean (Y > mean Y, Cb < mean Cb, Cr > mean Cr) and
|Cr - Cb| >= tau. Colour alone is fooled by sodium lamps, orange cars and sunsets, so the
confirm step also wants the region to flicker (its shape changes frame to frame) while
staying anchored (its centre does not travel like a vehicle's), and never going out: an
amber beacon or a turn signal flashes the whole lamp on and off, a flame's boundary
dances around a core that stays lit.
"""

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.analytics_config import AnalyticsConfig
from detectors.frame_api import SCREEN_HIT, Frame, shrink
from detectors.model import Finding
from detectors.smoke_measures import travel

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class FireParams:
    """Thresholds of the fire detector (see config.detectors.FireSettings for meanings)."""

    chroma_gap: int = 40
    screen_fraction: float = 0.002
    confirm_frames: int = 8
    confirm_ratio: float = 0.6
    min_flicker: float = 0.08
    min_core_red: float = 220.0
    """Least mean red of the region's core: a flame emits light and nearly saturates the
    red channel; lit surfaces and reflections (a lamp's pool on asphalt) stay darker.
    Chen, Wu & Chiou (ICIP 2004) use a red threshold of 115-135 for all flame pixels."""
    core_share: float = 0.8
    """A core pixel is flame-coloured in at least this share of the window's frames."""
    min_hot_share: float = 0.03
    """Least share of the region that is yellow-white hot (R and G near saturation): a
    flame's core is; a red or orange car, a person in red, a tail light is not."""
    max_hot_share: float = 0.5
    """Most share of the region that is yellow-white hot: a flame is a hot core inside a
    red-orange body; a patch that is yellow-white all over is a sunlit surface or a lamp."""
    min_red_std: float = 6.0
    """Least temporal spread (0-255) of the red channel inside the region over the window:
    a flame's tongues come and go over the wall behind; a sunlit warm surface shows only
    sensor and codec noise (1-3)."""
    max_drift: float = 0.03
    """Fastest sideways travel of the region's centre (picture widths per second): a flame
    sways around its fuel; a red car crawling in traffic moves on."""
    max_aspect: float = 3.0
    """Most width / height of the region's box: flames rise, so a young fire stands about
    as tall as it is wide or taller; a band much wider than tall is the glow along a
    roofline at sunset, a lit strip of facade or a row of lamps."""
    min_area_ratio: float = 0.3
    """Least (smallest / largest) area of the region over the window: a flashing beacon
    goes dark between flashes, a burning flame never does."""
    examined_s: float = 600.0
    """How long the screen remembers flame-coloured surfaces a focus found not burning
    (a brick wall, a low sun): there only pixels whose red changed since the last key frame
    can ask for focus again."""
    examined_change: int = 24
    """Red-channel change (0-255) between two key frames that counts as a change: flame
    tongues come and go; a wall shows codec noise of a few levels."""


def flame_mask(frame: Frame, chroma_gap: int, width: int = 320) -> Mask:
    """Pixels that satisfy the YCbCr flame colour rules, on a copy scaled to ``width``."""
    frame = shrink(frame, width)
    ycrcb = cv2.cvtColor(frame, cv2.COLOR_BGR2YCrCb).astype(np.int16)
    y, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    mask: Mask = (
        (y > cb)
        & (cr > cb)
        & (y > y.mean())
        & (cb < cb.mean())
        & (cr > cr.mean())
        & (np.abs(cr - cb) >= chroma_gap)
    )
    return mask


class FireDetector:
    """Fire in one camera's pictures: colour screen, then a flicker-and-core confirm.

    Confirm looks at the last ``confirm_frames`` masks as a stack. For each connected
    region of pixels that were flame-coloured at least once, it wants (1) a stable core
    (pixels flame-coloured in most frames: a passing orange car has none), (2) presence in
    most frames, and (3) flicker: the mean rate at which the region's pixels switch
    between flame and not-flame (Töreyin et al. 2006 use the same temporal cue); a
    sodium lamp's glow is steady and has almost none; and (4) a bright core, since a flame
    is a light source and a lit surface is not.
    """

    kind = "fire"
    continuous = False

    def __init__(
        self, params: FireParams | None = None, config: AnalyticsConfig | None = None
    ) -> None:
        self.params = params or FireParams()
        self._config = config or AnalyticsConfig()
        self._keep: dict[tuple[int, int], Mask] = {}
        self._masks: deque[Mask] = deque(maxlen=self.params.confirm_frames)
        self._red: deque[npt.NDArray[np.uint8]] = deque(maxlen=self.params.confirm_frames)
        self._hot: deque[Mask] = deque(maxlen=self.params.confirm_frames)
        self._times: deque[float] = deque(maxlen=self.params.confirm_frames)
        self._last_flame: tuple[float, tuple[float, float, float, float]] | None = None
        self._examined: npt.NDArray[np.float32] | None = None
        """Per screen pixel: until when it is a surface a focus found not burning."""
        self._screen_red: npt.NDArray[np.int16] | None = None
        self._screen_t = 0.0

    @property
    def last_flame(self) -> tuple[float, tuple[float, float, float, float]] | None:
        """When and where (box x, y, w, h normalised) a flame was last confirmed: the smoke
        detector expects smoke above it."""
        return self._last_flame

    def _unmasked(self, mask: Mask) -> Mask:
        """``mask`` without the camera's mask zones."""
        if not self._config.zones_of("mask"):
            return mask
        h, w = mask.shape
        if (w, h) not in self._keep:
            self._keep[(w, h)] = self._config.unmasked(w, h)
        return mask & self._keep[(w, h)]

    def screen(self, frame: Frame, t: float = 0.0) -> float:
        """Share of flame-coloured pixels relative to the share that asks for focus.

        Only flame colour around a yellow-white hot spot (on both sides of it) can ask for
        focus: the confirm step wants that hot core anyway, and without it every red car, warm sunset and
        sodium-lit street would keep the camera decoding every frame. Surfaces a focus has
        examined and found not burning count only where their red changed since the last
        key frame: a brick wall in the sun otherwise asks again at every key frame.
        """
        small = shrink(frame, 160)
        mask = self._unexamined(self._unmasked(flame_mask(small, self.params.chroma_gap)), small, t)
        score = float(mask.mean()) / self.params.screen_fraction * SCREEN_HIT
        if score < SCREEN_HIT:
            return score
        if not _flanked(_white_hot(frame, mask.shape), mask).any():
            return min(score, 0.5 * SCREEN_HIT)
        return score

    def _unexamined(self, mask: Mask, small: Frame, t: float) -> Mask:
        """``mask`` without the examined surfaces' pixels whose red stayed as it was
        (``small``: the picture at the mask's size)."""
        red = small[..., 2].astype(np.int16)
        previous, self._screen_red, self._screen_t = self._screen_red, red, t
        if self._examined is None or self._examined.shape != mask.shape:
            return mask
        examined = self._examined > t
        if not examined.any():
            return mask
        still = np.ones(mask.shape, bool)
        if previous is not None and previous.shape == red.shape:
            still = np.abs(red - previous) < self.params.examined_change
        kept: Mask = mask & ~(examined & still)
        return kept

    def _remember_examined(self) -> None:
        """After a focus with no flame confirmed lately: the flame-coloured pixels it saw."""
        recent_flame = (
            self._last_flame and self._screen_t - self._last_flame[0] < self.params.examined_s
        )
        if not self._masks or self._screen_red is None or recent_flame:
            return
        seen = np.logical_or.reduce(np.stack(self._masks), axis=0).astype(np.uint8)
        shape = self._screen_red.shape
        small = cv2.resize(seen, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
        grown = cv2.dilate(small, np.ones((3, 3), np.uint8)) > 0
        if self._examined is None or self._examined.shape != shape:
            self._examined = np.zeros(shape, np.float32)
        self._examined[grown] = self._screen_t + self.params.examined_s

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Add one focus frame; a Finding when a region of the recent frames is a flame."""
        p = self.params
        mask = self._unmasked(flame_mask(frame, p.chroma_gap))
        self._masks.append(mask)
        self._red.append(_red_channel(frame, mask.shape))
        self._hot.append(_white_hot(frame, mask.shape))
        self._times.append(t)
        if len(self._masks) < p.confirm_frames:
            return None
        stack: npt.NDArray[np.bool_] = np.stack(self._masks)
        n = stack.shape[0]
        ever: Mask = np.logical_or.reduce(stack, axis=0)
        if ever.sum() < p.screen_fraction * ever.size:
            return None
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            ever.astype(np.uint8), connectivity=8
        )
        min_area = p.screen_fraction * ever.size
        flips = np.abs(np.diff(stack.astype(np.int8), axis=0)).sum(axis=0) / (n - 1)
        on_share = stack.mean(axis=0)
        red_stack = np.stack(self._red).astype(np.float32)
        best: Finding | None = None
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < min_area:
                continue
            region = labels == label
            core = region & (on_share >= p.core_share)
            areas = (stack & region).sum(axis=(1, 2))
            present = areas >= min_area / 2
            flicker = float(flips[region].mean())
            if core.sum() < min_area / 4 or present.mean() < p.confirm_ratio:
                continue
            if areas.min() < p.min_area_ratio * areas.max():
                continue
            width, height = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
            if width > p.max_aspect * height:
                continue
            core_red = float(np.mean([red[core].mean() for red in self._red]))
            if core_red < p.min_core_red:
                continue
            # The white-hot core is too pale for the colour rules: look in the filled region.
            filled = _filled(region)
            hot = float(np.mean([h[filled].sum() for h in self._hot])) / float(region.sum())
            if not p.min_hot_share <= hot <= p.max_hot_share:
                continue
            red_std = float(red_stack.std(axis=0)[region].mean())
            if red_std < p.min_red_std:
                continue
            if flicker < p.min_flicker:
                continue
            drift = abs(travel(stack & region, list(self._times)))
            if drift > p.max_drift:
                continue
            confidence = min(
                0.99, 0.5 * present.mean() + 0.5 * min(1.0, flicker / (2 * p.min_flicker))
            )
            if best is None or confidence > best.confidence:
                best = Finding(
                    kind=self.kind,
                    confidence=round(confidence, 3),
                    box=_box(stats[label], region.shape),
                    zone=None,
                    attributes={
                        "flicker": round(flicker, 3),
                        "present": round(float(present.mean()), 3),
                        "core_red": round(core_red, 1),
                        "hot": round(hot, 3),
                        "red_std": round(red_std, 1),
                    },
                )
        if best is not None and best.box is not None:
            self._last_flame = (t, best.box)
        return best

    def reset(self) -> None:
        """Forget the frames seen in focus (not the last flame); a focus that confirmed
        nothing leaves its flame-coloured surfaces examined."""
        self._remember_examined()
        self._masks.clear()
        self._red.clear()
        self._hot.clear()
        self._times.clear()


def _filled(region: Mask) -> Mask:
    """``region`` with its holes filled (flood the outside from the border)."""
    padded = np.pad(region.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    holes = flood == 0
    filled: Mask = (padded.astype(bool) | holes)[1:-1, 1:-1]
    return filled


def _flanked(hot: Mask, flame: Mask, reach: int = 3) -> Mask:
    """Hot pixels with flame colour within ``reach`` pixels on their left and on their
    right: a flame's core burns inside its red-orange body; a white road marking or a
    headlight beside a red car has the car on one side only."""
    left = np.zeros_like(flame)
    right = np.zeros_like(flame)
    for k in range(1, reach + 1):
        left[:, k:] |= flame[:, :-k]
        right[:, :-k] |= flame[:, k:]
    flanked: Mask = hot & left & right
    return flanked


HOT_LOW = np.array([0, 191, 236], np.uint8)
HOT_HIGH = np.array([255, 255, 255], np.uint8)
"""Yellow-white in BGR: red above 235 and green above 190, blue anything."""


def _white_hot(frame: Frame, shape: tuple[int, ...]) -> Mask:
    """Yellow-white pixels (red and green both bright) at the mask's size."""
    # One pass of cv2.inRange (red > 235, green > 190, 0 or 255): a tenth of the cost of
    # numpy's two comparisons over a full 640x360 picture.
    hot = np.asarray(cv2.inRange(frame, HOT_LOW, HOT_HIGH), np.uint8)
    if hot.shape != shape[:2]:
        size = (shape[1], shape[0])
        hot = np.asarray(cv2.resize(hot, size, interpolation=cv2.INTER_AREA), np.uint8)
    return hot > 0


def _red_channel(frame: Frame, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
    """The red channel at the mask's size."""
    red = frame[..., 2]
    if red.shape == shape[:2]:
        return red
    return np.asarray(
        cv2.resize(red, (shape[1], shape[0]), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )


def _box(stat: npt.NDArray[np.int32], shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    h, w = shape[0], shape[1]
    x, y = stat[cv2.CC_STAT_LEFT], stat[cv2.CC_STAT_TOP]
    bw, bh = stat[cv2.CC_STAT_WIDTH], stat[cv2.CC_STAT_HEIGHT]
    return (round(x / w, 4), round(y / h, 4), round(bw / w, 4), round(bh / h, 4))
