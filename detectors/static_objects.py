"""Static new objects: a long-term and a short-term background, after Porikli (2007).

Porikli, Ivanov & Haga, "Robust abandoned object detection using dual foregrounds"
(EURASIP JASP 2008): a pixel that differs from the long-term background but already
matches the short-term one belongs to something that arrived and stopped (a dumped bag,
a parked car). A person walking through never matches the short-term background; a
person standing still for a while does, which is why callers also want a dwell time.

Both backgrounds learn in stream time (``t``), so irregular sampling (a key frame a
second in patrol, five frames a second in focus) gives the same picture. Differences are
measured after a smooth gain field is taken out, so a cloud shadow or dusk falling over
the street is not mistaken for new objects.
"""

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from detectors.frame_api import Frame, shrink

FloatImage = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class StaticParams:
    """Time constants and thresholds of the dual background."""

    width: int = 320
    tau_short_s: float = 1.5
    tau_long_s: float = 90.0
    threshold: float = 28.0
    """Least compensated colour difference (0-255) of a foreground pixel in a picture of
    full contrast; a duller picture (rain, dusk) asks for proportionally less."""
    reference_contrast: float = 100.0
    """Grey spread (95th less 5th percentile) of a clear day street: full contrast. Rain
    measures about 50 (a grey car on a grey kerb differs from it by some 15-25, not 28),
    dusk falls from 70 to 55 as the light goes."""
    min_threshold: float = 20.0
    """The threshold never drops below this, however dull the picture: at 16 the halo of
    walkers in rain counted as movement around a left bag and kept it 'attended'."""
    noise_factor: float = 4.0
    """Nor below this many times the picture's noise (median difference to the short-term
    background, where almost every pixel is still)."""
    adapt_every_s: float = 1.0
    """How often the threshold follows the picture's contrast and noise."""
    weak_share: float = 0.5
    """A static object's outline is traced down to this share of the threshold from its
    strong pixels (hysteresis): a grey car on a grey kerb differs from it by some 20 on a
    clear day, so only its windows and wheels pass 28, in pieces too small for a car."""
    min_static_s: float = 2.0
    """A candidate object has been static at least this long."""
    max_hold_s: float = 600.0
    """After this long a static candidate is taken into the long-term background."""


@dataclass(frozen=True, slots=True)
class StaticObject:
    """A connected region of static new pixels in the working picture."""

    mask: Mask
    box: tuple[int, int, int, int]
    """x, y, width, height in working-picture pixels."""
    area: int
    age_s: float
    """Median time its pixels have been static."""


class DualBackground:
    """Long/short-term backgrounds of one camera at a reduced working size."""

    def __init__(self, params: StaticParams | None = None) -> None:
        self.params = params or StaticParams()
        self._long: FloatImage | None = None
        self._short: FloatImage | None = None
        self.evidence: FloatImage | None = None
        """Seconds each pixel has been static-new (long-fg, short-bg); held while occluded."""
        self.moving: Mask | None = None
        """Pixels that differ from the short-term background in the last update."""
        self.changed: Mask | None = None
        """Pixels that differ from the long-term background in the last update."""
        self.weak_static: Mask | None = None
        """Pixels static-new at ``weak_share`` of the threshold in the last update."""
        self._last_t: float | None = None
        self._image: FloatImage | None = None
        self._labelled: tuple[tuple[float | None, float, bool], int, Any, Any, Any] | None = None
        """The last labelling of static pixels, for one update, one least age and traced or not."""
        self.threshold = self.params.threshold
        """The foreground threshold of the picture as it is now (see ``adapted_threshold``)."""
        self._adapted_t: float | None = None
        self.relit: npt.NDArray[np.uint8] | None = None
        """The last frame with the smooth light change since the long-term picture taken
        out (a cloud shadow, dusk): what a motion detector should look at."""

    def working(self, frame: Frame) -> FloatImage:
        """``frame`` at the working size, float32, lightly smoothed."""
        h, w = frame.shape[:2]
        width = self.params.width
        small = shrink(frame, width)
        if w < width:  # a smaller picture is brought up to the working size
            size = (width, max(1, h * width // w))
            small = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8)
        return np.asarray(cv2.GaussianBlur(small, (3, 3), 0), dtype=np.float32)

    def update(self, frame: Frame, t: float) -> FloatImage:
        """Learn one frame taken at ``t``; returns the frame at the working size."""
        if self._image is not None and t == self._last_t:
            return self._image  # shared by several detectors of one camera: learn once
        p = self.params
        image = self._image = self.working(frame)
        if self._long is None or self._short is None or self.evidence is None:
            self._long, self._short = image.copy(), image.copy()
            self.evidence = np.zeros(image.shape[:2], np.float32)
            self.moving = np.zeros(image.shape[:2], bool)
            self.changed = np.zeros(image.shape[:2], bool)
            self.relit = image.astype(np.uint8)
            self._last_t = t
            return image
        dt = float(np.clip(t - (self._last_t if self._last_t is not None else t), 0.0, 5.0))
        self._last_t = t
        diff_long, gain = compensated_difference(image, self._long)
        diff_short, _ = compensated_difference(image, self._short)
        self.relit = np.clip(image / gain[..., None], 0, 255).astype(np.uint8)
        if self._adapted_t is None or t - self._adapted_t >= p.adapt_every_s or t < self._adapted_t:
            self._adapted_t = t
            self.threshold = adapted_threshold(self._short, diff_short, p)
        changed = diff_long > self.threshold
        moving = diff_short > self.threshold
        static = changed & ~moving
        weak = p.weak_share * self.threshold
        self.weak_static = (diff_long > weak) & ~(diff_short > weak)
        evidence = self.evidence
        evidence += np.float32(dt) * static
        evidence *= changed
        released = evidence > p.max_hold_s
        a_short = float(1.0 - np.exp(-dt / p.tau_short_s))
        a_long = float(1.0 - np.exp(-dt / p.tau_long_s))
        cv2.accumulateWeighted(image, self._short, a_short)
        # Frozen under candidates and movers, so neither bleeds into the long-term picture.
        learn = ((evidence == 0) & ~moving).astype(np.uint8)
        cv2.accumulateWeighted(image, self._long, a_long, mask=learn)
        if released.any():
            evidence[released] = 0.0
            self._long[released] = self._short[released]
        self.moving, self.changed = moving, changed
        return image

    def objects(
        self, min_area: int, min_age_s: float | None = None, traced: bool = False
    ) -> list[StaticObject]:
        """Static regions of at least ``min_area`` working pixels.

        ``traced``: each region is traced from its static pixels on through the weakly
        static ones (hysteresis, ``weak_share``), as a vehicle's uniform body needs; at
        least a quarter of ``min_area`` must be static at the full threshold. Not for small
        objects: a slow change of light joins their few pixels to a large weak region.
        """
        if self.evidence is None:
            return []
        min_age = self.params.min_static_s if min_age_s is None else min_age_s
        key = (self._last_t, min_age, traced)
        strong = self.evidence >= min_age
        if self._labelled is None or self._labelled[0] != key:
            grown = strong | self.weak_static if traced and self.weak_static is not None else strong
            candidate = np.asarray(
                cv2.morphologyEx(
                    grown.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)
                ),
                dtype=np.uint8,
            )
            # Parking and dumping both ask every frame: label the picture once for each.
            self._labelled = (key, *cv2.connectedComponentsWithStats(candidate, connectivity=8))
        _, count, labels, stats, _ = self._labelled
        found = []
        for label in range(1, count):
            area = int(stats[label, cv2.CC_STAT_AREA])
            if area < min_area:
                continue
            region = labels == label
            if traced and int((strong & region).sum()) < min_area // 4:
                continue  # weak pixels alone are light and noise, not an object
            ages = self.evidence[region]
            found.append(
                StaticObject(
                    mask=region,
                    box=(
                        int(stats[label, cv2.CC_STAT_LEFT]),
                        int(stats[label, cv2.CC_STAT_TOP]),
                        int(stats[label, cv2.CC_STAT_WIDTH]),
                        int(stats[label, cv2.CC_STAT_HEIGHT]),
                    ),
                    area=area,
                    age_s=_age(ages[ages > 0], traced),
                )
            )
        return found

    def is_ghost(self, obj: StaticObject) -> bool:
        """True when ``obj`` is a hole left by something that went away, not a new object.

        Whatever stood in the picture when the long-term background was learnt (a walker
        in the first frame) leaves a *ghost* when it moves off: the bare ground differs from
        the long-term picture and matches the short-term one, just like a dumped bag. A real
        object brings its own outline into the current picture; a ghost's outline is only in
        the long-term picture (the test of Cucchiara et al. 2003, on edges)."""
        if self._image is None or self._long is None:
            return False
        x, y, w, h = obj.box
        pad = 3
        y0, y1 = max(0, y - pad), min(obj.mask.shape[0], y + h + pad)
        x0, x1 = max(0, x - pad), min(obj.mask.shape[1], x + w + pad)
        region = obj.mask[y0:y1, x0:x1].astype(np.uint8)
        kernel = np.ones((3, 3), np.uint8)
        rim = (cv2.dilate(region, kernel) - cv2.erode(region, kernel)).astype(bool)
        if not rim.any():
            return False
        now = _edges(self._image[y0:y1, x0:x1])[rim].mean()
        before = _edges(self._long[y0:y1, x0:x1])[rim].mean()
        return bool(now < 0.4 * before)

    def absorb(self, region: Mask) -> None:
        """Take a reported object into the long-term background: one report per object."""
        if self._long is None or self._short is None or self.evidence is None:
            return
        grown = cv2.dilate(region.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        self._long[grown] = self._short[grown]
        self.evidence[grown] = 0.0
        self._labelled = None


def _age(ages: FloatImage, traced: bool) -> float:
    """How long an object has stood, from its pixels' static times: their median, or for a
    traced vehicle their 75th percentile. A low-contrast body's pixels drop out under rain
    streaks and passing cars' shadows and restart their count when they come back; its
    windows and wheels keep counting (fresh holdout 36912: a beige car parked in rain was
    never old enough by the median, its 75th percentile kept time with its stop)."""
    if ages.size == 0:
        return 0.0
    return float(np.percentile(ages, 75.0 if traced else 50.0))


def adapted_threshold(short: FloatImage, diff_short: FloatImage, params: StaticParams) -> float:
    """The foreground threshold for a picture like ``short`` (the short-term background).

    A fixed difference misses low-contrast objects in a dull picture: in rain the whole
    street is washed towards grey and a grey car differs from the grey kerb by less than on
    a clear day; at dusk every difference shrinks with the light. So the threshold scales
    with the picture's grey spread, down to ``min_threshold`` and never into the noise."""
    # Every fourth pixel each way is plenty for a spread and a median, and a channel sum
    # is ~20x cheaper than numpy's mean over the short colour axis.
    sub = short[::4, ::4]
    grey = ((sub[..., 0] + sub[..., 1] + sub[..., 2]) / 3.0).ravel()
    k = grey.size // 20
    spread = np.partition(grey, (k, grey.size - 1 - k))
    contrast = float(spread[grey.size - 1 - k] - spread[k]) / params.reference_contrast
    scaled = params.threshold * min(1.0, contrast)
    still = diff_short[::4, ::4].ravel()
    noise = params.noise_factor * float(np.partition(still, still.size // 2)[still.size // 2])
    return max(params.min_threshold, scaled, min(noise, params.threshold))


def _edges(image: FloatImage) -> FloatImage:
    """Gradient magnitude of the grey picture."""
    grey = image.mean(axis=2)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude: FloatImage = np.abs(gx) + np.abs(gy)
    return magnitude


def compensated_difference(
    image: FloatImage, background: FloatImage
) -> tuple[FloatImage, FloatImage]:
    """Largest per-channel difference after a smooth gain field (shadow, dusk) is removed,
    and that gain field (image / background brightness, H x W)."""
    h, w = image.shape[:2]
    coarse = (max(2, w // 32), max(2, h // 32))  # 32-pixel cells: cheap, and wider than a bag
    lum_i = cv2.resize(image, coarse, interpolation=cv2.INTER_AREA).mean(axis=2) + 4.0
    lum_b = cv2.resize(background, coarse, interpolation=cv2.INTER_AREA).mean(axis=2) + 4.0
    ratio = cv2.GaussianBlur(np.clip(lum_i / lum_b, 0.4, 2.5), (0, 0), 1.0)
    gain = cv2.resize(ratio, (w, h), interpolation=cv2.INTER_LINEAR)
    d = cv2.absdiff(image, background * gain[..., None])
    diff: FloatImage = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])
    return diff, np.asarray(gain, np.float32)
