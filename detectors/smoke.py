"""Smoke: grey, semi-transparent regions that wash out what is behind them and churn.

Cues after Toreyin et al. (2005) and Yuan (2008): smoke lowers the saturation and the
local contrast of the background it covers (both measured so that a uniform gain, a
cloud shadow or dusk, changes neither), it stays where it started instead of driving
off like a grey car, and it keeps billowing. The screen looks for enough
washed-out, changed pixels on a key frame; confirm wants them to persist over a window
of focus frames while the optical flow inside them points up.
"""

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.analytics_config import AnalyticsConfig
from detectors.frame_api import SCREEN_HIT, Frame
from detectors.model import Finding

FloatImage = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class SmokeParams:
    """Thresholds of the smoke detector (see config.detectors.SmokeSettings)."""

    width: int = 160
    tau_background_s: float = 30.0
    max_saturation: float = 0.22
    """Smoke is grey: HSV saturation of a smoke pixel at most this."""
    saturation_drop: float = 0.05
    contrast_ratio: float = 0.6
    """Local contrast under smoke falls below this share of the background's."""
    min_change: float = 8.0
    max_change: float = 110.0
    """Smoke lets the background through; a dark coat over a pale road changes it more."""
    min_brightness: float = 70.0
    """Smoke scatters light: it is grey, not near-black like a coat or a shadow."""
    screen_fraction: float = 0.006
    confirm_frames: int = 12
    confirm_ratio: float = 0.6
    min_churn: float = 0.15
    """Least mean change of the region's change map over ~1 s, relative to its mean: smoke
    billows, a grey object that arrived and stopped does not."""
    min_aspect: float = 0.4
    """Least height / width of the region's box: smoke rises into a column or a cloud; a
    long flat strip along the road is vehicles or their shadows."""
    min_show_through: float = 0.3
    """Least share of its contrast that the background's edges keep under the region
    (median): smoke is semi-transparent; a person, a car, or the ghost left where one
    stood in the first picture hide what is behind them."""
    max_new_edges: float = 0.1
    """Most share of the region where the picture has sharper edges than the background:
    smoke only softens what is behind it; a grey car or a person brings its own outline."""
    max_side: float = 0.04
    """Most sideways travel of the region's centre, picture widths per second."""


class SmokeDetector:
    """Smoke in one camera's pictures, outside its mask zones."""

    kind = "smoke"
    continuous = False

    def __init__(
        self, params: SmokeParams | None = None, config: AnalyticsConfig | None = None
    ) -> None:
        self.params = params or SmokeParams()
        self._config = config or AnalyticsConfig()
        self._keep: Mask | None = None
        self._background: FloatImage | None = None
        self._last_t: float | None = None
        n = self.params.confirm_frames
        self._masks: deque[Mask] = deque(maxlen=n)
        self._flows: deque[tuple[float, float]] = deque(maxlen=n)
        self._centres: deque[tuple[float, float, float]] = deque(maxlen=n)
        self._history: deque[tuple[float, FloatImage]] = deque(maxlen=12)
        self._change: FloatImage | None = None
        self._sharper: Mask | None = None
        self._through: FloatImage | None = None
        self._throughs: deque[FloatImage] = deque(maxlen=n)
        self._gains: deque[Mask] = deque(maxlen=n)

    def _working(self, frame: Frame) -> FloatImage:
        h, w = frame.shape[:2]
        size = (self.params.width, max(1, h * self.params.width // w))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        return np.asarray(small, dtype=np.float32)

    def _candidates(self, image: FloatImage, t: float) -> Mask:
        """Washed-out changed pixels; learns the background where there are none."""
        p = self.params
        if self._background is None:
            self._background = image.copy()
            self._keep = self._config.unmasked(image.shape[1], image.shape[0])
            self._last_t = t
            return np.zeros(image.shape[:2], bool)
        assert self._keep is not None
        bg = self._background
        sat_f, sat_b = _saturation(image), _saturation(bg)
        con_f, con_b = _contrast(image), _contrast(bg)
        change = np.abs(image - bg).mean(axis=2)
        washed = (sat_b - sat_f > p.saturation_drop) | (
            (con_b > 0.06) & (con_f < p.contrast_ratio * con_b)
        )
        self._change = np.asarray(change, np.float32)
        self._sharper = (con_f > 1.5 * con_b + 0.03) & self._keep
        self._through = np.where(con_b > 0.06, con_f / np.maximum(con_b, 1e-3), np.nan)
        lit = image.max(axis=2) >= p.min_brightness
        mask = (sat_f <= p.max_saturation) & (change >= p.min_change) & (change <= p.max_change)
        mask &= washed & lit & self._keep
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        found = mask.astype(bool)
        dt = float(np.clip(t - (self._last_t if self._last_t is not None else t), 0.0, 5.0))
        self._last_t = t
        rate = 1.0 - float(np.exp(-dt / p.tau_background_s))
        learn = ~cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(bool)
        bg[learn] += rate * (image[learn] - bg[learn])
        return found

    def screen(self, frame: Frame, t: float) -> float:
        """Share of washed-out changed pixels relative to the share that asks for focus."""
        mask = self._candidates(self._working(frame), t)
        return float(mask.mean()) / self.params.screen_fraction * SCREEN_HIT

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Add one focus frame; a Finding when a persistent, rising grey region is there."""
        p = self.params
        image = self._working(frame)
        mask = self._candidates(image, t)
        change = self._change
        assert change is not None
        h, w = mask.shape
        self._history.append((t, change))
        earlier = [m for m in self._history if 0.6 <= t - m[0] <= 1.2]
        if earlier and mask.any():
            old = earlier[-1][1]
            # Smoke churns: its change map keeps changing; a grey thing that stopped does not.
            moved = float(np.abs(change - old)[mask].mean())
            self._flows.append((moved / (float(change[mask].mean()) + 1.0), 0.0))
        self._masks.append(mask)
        assert self._sharper is not None
        self._gains.append(self._sharper)
        assert self._through is not None
        self._throughs.append(self._through)
        if mask.any():
            ys, xs = np.nonzero(mask)
            self._centres.append((t, float(xs.mean()) / w, float(ys.mean()) / h))
        if len(self._masks) < p.confirm_frames or len(self._flows) < p.confirm_frames // 2:
            return None
        return self._judge(np.stack(self._masks))

    def _judge(self, stack: npt.NDArray[np.bool_]) -> Finding | None:
        """The most smoke-like persistent region of the window, if one passes every test."""
        p = self.params
        _, h, w = stack.shape
        min_area = p.screen_fraction * h * w
        persistent = (stack.mean(axis=0) >= 0.4).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(persistent, connectivity=8)
        churn = float(np.median([c for c, _ in self._flows]))
        side = _travel(list(self._centres))
        if churn < p.min_churn or abs(side) > p.max_side:
            return None
        best: Finding | None = None
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < min_area:
                continue
            region = labels == label
            present = (stack & region).sum(axis=(1, 2)) >= min_area / 2
            if present.mean() < p.confirm_ratio:
                continue
            gained = float(np.mean([g[region].mean() for g in self._gains]))
            seen = np.stack(self._throughs)[:, region]
            through = float(np.nanmedian(seen)) if np.isfinite(seen).any() else 1.0
            if through < p.min_show_through:
                continue
            if gained > p.max_new_edges:
                continue
            x, y = stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_TOP]
            bw, bh = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
            if bh < p.min_aspect * bw:
                continue
            confidence = round(min(0.95, 0.5 + 0.25 * float(present.mean()) + churn), 3)
            if best is None or confidence > best.confidence:
                best = Finding(
                    kind=self.kind,
                    confidence=confidence,
                    box=(round(x / w, 4), round(y / h, 4), round(bw / w, 4), round(bh / h, 4)),
                    attributes={
                        "churn": round(churn, 3),
                        "side": round(side, 3),
                        "gained": round(gained, 3),
                        "through": round(through, 3),
                    },
                )
        return best

    def reset(self) -> None:
        """Forget the focus window; the background stays."""
        self._masks.clear()
        self._flows.clear()
        self._centres.clear()
        self._history.clear()
        self._gains.clear()
        self._throughs.clear()


def _saturation(image: FloatImage) -> FloatImage:
    """HSV saturation in [0, 1]: unchanged by a uniform gain."""
    high = image.max(axis=2)
    low = image.min(axis=2)
    sat: FloatImage = (high - low) / (high + 8.0)
    return sat


def _contrast(image: FloatImage) -> FloatImage:
    """Local gradient magnitude over local brightness: unchanged by a smooth gain."""
    grey = image.mean(axis=2)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.GaussianBlur(np.abs(gx) + np.abs(gy), (5, 5), 0)
    local = cv2.GaussianBlur(grey, (5, 5), 0) + 10.0
    ratio: FloatImage = magnitude / (8.0 * local)
    return ratio


def _travel(centres: list[tuple[float, float, float]]) -> float:
    """Sideways speed of the region's centre (picture widths per second), least squares."""
    if len(centres) < 3:
        return 0.0
    ts = np.array([c[0] for c in centres])
    xs = np.array([c[1] for c in centres])
    if float(np.ptp(ts)) <= 0:
        return 0.0
    slope = np.polyfit(ts - ts[0], xs, 1)[0]
    return float(slope)
