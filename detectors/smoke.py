"""Smoke: grey, semi-transparent regions that wash out what is behind them and churn.

Cues after Toreyin et al. (2005) and Yuan (2008): smoke lowers the saturation and the
local contrast of the background it covers (both measured so that a uniform gain, a
cloud shadow or dusk, changes neither), it stays where it started instead of driving
off like a grey car, and it keeps billowing. The screen looks for enough
washed-out, changed pixels on a key frame; confirm wants a region of them to persist
over a window of focus frames, let the edges behind it show through, bring no sharp
edges of its own, stay put, churn and not be carried sideways (dense optical flow: a
stream of grey cars keeps a lane changed and churning with its centre in place, but each
car moves along the lane as one rigid body, faster than smoke drifts). Smoke is expected
above a flame the fire detector has just confirmed: there a region needs less (see
``_judge``). Pixels that stay still for seconds are healed into the background: smoke
never does, and a ghost (whatever stood in the first picture and left) otherwise stays a
candidate for good.
"""

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from detectors.analytics_config import AnalyticsConfig
from detectors.frame_api import SCREEN_HIT, Frame, shrink
from detectors.model import Finding
from detectors.smoke_measures import (
    FloatImage,
    Mask,
    is_ghost,
    look,
    mean_abs_diff,
    swept_share,
    travel,
)
from detectors.smoke_rests import PixelRests, local_light

BACKGROUND_LOOK_S = 5.0
FLAME_MEMORY_S = 60.0
"""How long after a confirmed flame the smoke detector still expects its smoke."""
SWEEP_GAP_S = 0.5
"""Longest gap between two focus frames over which optical flow is still measured."""
WARM_UP_S = 4.0
"""Seconds of watching before the screen asks for focus: the first picture, learnt as the
background, holds whatever stood or drove there, and those ghosts need a few rests to heal."""


@dataclass(frozen=True, slots=True)
class SmokeParams:
    """Thresholds of the smoke detector (see config.detectors.SmokeSettings)."""

    width: int = 160
    tau_background_s: float = 30.0
    max_saturation: float = 0.22
    """Smoke is grey: HSV saturation of a smoke pixel at most this."""
    saturation_drop: float = 0.035
    contrast_ratio: float = 0.6
    """Local contrast under smoke falls below this share of the background's."""
    min_change: float = 6.0
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
    min_show_through: float = 0.4
    """Least share of its contrast that the background's edges keep under the region
    (median): smoke is semi-transparent; a person, a car, or the ghost left where one
    stood in the first picture hide what is behind them."""
    min_show_through_near_flame: float = 0.25
    """The same, for a region above a flame confirmed moments ago (thick smoke)."""
    max_new_edges: float = 0.35
    """Most share of the region where the picture has sharper edges than a lit background:
    smoke only softens what is behind it; a grey car or a person brings its own outline.
    Over a dark background (night sky) lit smoke brings an outline too: not counted there."""
    max_side: float = 0.04
    """Most sideways travel of the region's centre, picture widths per second."""
    sweep_speed: float = 0.05
    """Horizontal speed (picture widths per second), faster than it rises or sinks, from
    which a pixel's motion is a vehicle's: smoke rises and drifts slower than traffic."""
    max_swept: float = 0.15
    """Most share of the region that dense optical flow saw something carried across
    sideways at ``sweep_speed`` or faster within the window: a stream of grey cars keeps a lane changed and
    churning while its centre stays put, but every car is carried along the lane as one
    rigid body; smoke billows upward and the background's edges show through it still."""


class FlameSource(Protocol):
    """The camera's fire detector, as far as smoke cares: where it last confirmed a flame."""

    @property
    def last_flame(self) -> tuple[float, tuple[float, float, float, float]] | None:
        """(seconds, box x, y, w, h normalised) of the last confirmed flame, if any."""
        ...


class SmokeDetector:
    """Smoke in one camera's pictures, outside its mask zones."""

    kind = "smoke"
    continuous = False

    def __init__(
        self,
        params: SmokeParams | None = None,
        config: AnalyticsConfig | None = None,
        flames: FlameSource | None = None,
    ) -> None:
        self.params = params or SmokeParams()
        self._config = config or AnalyticsConfig()
        self._flames = flames
        self._keep: Mask | None = None
        self._background: FloatImage | None = None
        self._last_t: float | None = None
        n = self.params.confirm_frames
        self._masks: deque[Mask] = deque(maxlen=n)
        self._times: deque[float] = deque(maxlen=n)
        self._history: deque[tuple[float, FloatImage]] = deque(maxlen=8)
        self._change: FloatImage | None = None
        self._contrasts: tuple[FloatImage, FloatImage] | None = None
        self._throughs: deque[FloatImage] = deque(maxlen=n)
        self._gains: deque[Mask] = deque(maxlen=n)
        self._bg_look: tuple[FloatImage, FloatImage, FloatImage] | None = None
        self._bg_look_t = 0.0
        self._screened: Mask | None = None
        self._first_t: float | None = None
        self._rests = PixelRests(self.params.min_change)
        self._sweeps: deque[FloatImage] = deque(maxlen=n)
        self._last_look: tuple[float, npt.NDArray[np.uint8]] | None = None
        self.watching = False
        """The last focus window held an upright persistent grey region of at least half
        the area that confirms: a plume still growing (``CameraSession`` holds focus)."""

    def _working(self, frame: Frame) -> FloatImage:
        return np.asarray(shrink(frame, self.params.width), dtype=np.float32)

    def _candidates(self, image: FloatImage, t: float, near: Mask | None = None) -> Mask:
        """Washed-out changed pixels; learns the background where there are none.

        ``near`` (above a flame just confirmed) needs no washing out: smoke is expected
        there, and over a featureless grey sky (rain) it has nothing to wash out.
        """
        p = self.params
        if self._background is None:
            self._background = image.copy()
            self._keep = self._config.unmasked(image.shape[1], image.shape[0])
            self._last_t = t
            return np.zeros(image.shape[:2], bool)
        assert self._keep is not None
        bg = self._background
        if self._bg_look is None or t - self._bg_look_t >= BACKGROUND_LOOK_S:
            # The background moves slowly (tau 30 s): its look is refreshed now and then.
            self._bg_look, self._bg_look_t = look(bg), t
        sat_b, con_b, _ = self._bg_look
        sat_f, con_f, high = look(image)
        change = mean_abs_diff(image, bg)
        washed = (sat_b - sat_f > p.saturation_drop) | (
            (con_b > 0.06) & (con_f < p.contrast_ratio * con_b)
        )
        self._change = change
        self._contrasts = (con_f, con_b)
        lit = high >= p.min_brightness
        # Grey, or greyer than what it covers: thin smoke over a saturated sunset sky keeps
        # much of the sky's colour.
        grey = (sat_f <= p.max_saturation) | (sat_b - sat_f > p.saturation_drop)
        mask = grey & (change >= p.min_change) & (change <= p.max_change)
        if near is not None:
            washed = washed | near
        mask &= washed & lit & self._keep
        dt = float(np.clip(t - (self._last_t if self._last_t is not None else t), 0.0, 5.0))
        ghost = self._rests.ghosts(image, dt, mask, bg)
        # A ghost's background is wrong: what rests there now is the background.
        cv2.copyTo(image, ghost.view(np.uint8), bg)
        mask &= ~ghost
        opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        found: Mask = opened > 0
        self._last_t = t
        rate = 1.0 - float(np.exp(-dt / p.tau_background_s))
        learn = (cv2.dilate(opened, np.ones((5, 5), np.uint8)) == 0).astype(np.uint8)
        cv2.accumulateWeighted(image, bg, rate, mask=learn)
        return found

    def _ghostly(self, region: Mask, resting_off: Mask) -> bool:
        """Whether the region is a ghost not yet healed: its outline is an edge of the
        background only, or most of it is ``resting_off`` the background's look (a bare
        road where the background still holds a car)."""
        assert self._contrasts is not None
        return float(resting_off[region].mean()) >= 0.5 or is_ghost(region, *self._contrasts)

    def _lit_background(self) -> tuple[FloatImage, FloatImage]:
        """The background and its local light now (ghosts healed into it change both)."""
        assert self._background is not None
        return self._background, local_light(self._background)

    def _warm(self, t: float) -> bool:
        """Whether the detector has watched for WARM_UP_S (ghosts of the first picture)."""
        if self._first_t is None:
            self._first_t = t
        return t - self._first_t >= WARM_UP_S

    def screen(self, frame: Frame, t: float) -> float:
        """Share of washed-out changed pixels that were already there at the last screen,
        relative to the share that asks for focus.

        Smoke stays where it rises; a walker, a car or a passing shadow has moved on by the
        next key frame. Asking for both keeps street cameras in patrol (focus decodes every
        frame) at the cost of one key-frame interval of latency. A ghost of the first
        picture stays too: it rests at a look that is not the background's, under the
        background's light, where nothing ever rested bare; a plume rises over a spot that
        did, and may then rest at its own grey between key frames.
        """
        mask = self._candidates(self._working(frame), t)
        # Asked at every key frame: it learns where each pixel rested bare.
        ghosts = self._rests.arrived_off(*self._lit_background())
        before, self._screened = self._screened, mask
        if before is None or not self._warm(t):
            return 0.0
        both = (mask & before).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
        assert self._contrasts is not None
        # The largest upright blob that is no ghost: a flat strip along the road is traffic
        # or its shadows. Largest first, so that the ghost tests stop at the first that passes.
        area = 0
        for k in sorted(range(1, count), key=lambda k: -stats[k, cv2.CC_STAT_AREA]):
            upright = (
                stats[k, cv2.CC_STAT_HEIGHT] >= self.params.min_aspect * stats[k, cv2.CC_STAT_WIDTH]
            )
            if upright and not self._ghostly(labels == k, ghosts):
                area = int(stats[k, cv2.CC_STAT_AREA])
                break
        share = area / both.size
        return share / self.params.screen_fraction * SCREEN_HIT

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Add one focus frame; a Finding when a persistent, churning grey region is there."""
        p = self.params
        image = self._working(frame)
        near = self._near_flame(t, image.shape)
        mask = self._candidates(image, t, near)
        assert self._change is not None and self._contrasts is not None and self._keep is not None
        con_f, con_b = self._contrasts
        self._history.append((t, self._change))
        self._masks.append(mask)
        self._times.append(t)
        # Edges sharper than the background's (smoke brings none), and the share of the
        # background's contrast that still shows (smoke lets some through). Over a dark
        # background (a night sky) anything lit brings its own outline, smoke too: new
        # edges are counted only where the background is lit.
        assert self._bg_look is not None
        lit = self._bg_look[2] >= p.min_brightness
        self._gains.append((con_f > 1.5 * con_b + 0.03) & self._keep & lit)
        self._throughs.append(np.where(con_b > 0.06, con_f / np.maximum(con_b, 1e-3), np.nan))
        self._sweeps.append(self._swept(image, t, mask))
        needed = p.confirm_frames if near is None else max(3, p.confirm_frames // 2)
        if len(self._masks) < needed:
            return None
        window = list(self._masks)[-needed:]
        return self._judge(np.stack(window), near)

    def _swept(self, image: FloatImage, t: float, mask: Mask) -> FloatImage:
        """Signed sideways speed (picture widths per second) of the candidate pixels carried
        sideways since the last focus frame, faster than they rise or sink and at
        ``sweep_speed`` or more (dense optical flow, Farneback 2003); 0 elsewhere.

        Only where there are candidates: flow costs about a millisecond on the working
        picture, and the rest of the picture is never judged.
        """
        grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
        last, self._last_look = self._last_look, (t, grey)
        if last is None or not mask.any() or not 0.0 < t - last[0] <= SWEEP_GAP_S:
            return np.zeros(mask.shape, np.float32)
        # From now back to then: the flow is where the pixels are now.
        flow = np.zeros((*grey.shape, 2), np.float32)
        flow = np.asarray(
            cv2.calcOpticalFlowFarneback(grey, last[1], flow, 0.5, 3, 11, 3, 5, 1.1, 0)
        )
        speed = -flow[..., 0] / np.float32(image.shape[1] * (t - last[0]))
        across = np.abs(speed)
        along = np.abs(flow[..., 1]) / np.float32(image.shape[1] * (t - last[0]))
        swept = (across >= self.params.sweep_speed) & (across > along) & mask
        out: FloatImage = np.where(swept, speed, np.float32(0.0)).astype(np.float32)
        return out

    def _near_flame(self, t: float, shape: tuple[int, ...]) -> Mask | None:
        """Where smoke of a flame confirmed in the last minute would be: above and around it."""
        if self._flames is None or self._flames.last_flame is None:
            return None
        at, box = self._flames.last_flame
        if not 0.0 <= t - at <= FLAME_MEMORY_S:
            return None
        h, w = shape[0], shape[1]
        x, y, bw, bh = box
        x0, x1 = max(0, int((x - bw) * w)), min(w, int((x + 2 * bw) * w) + 1)
        y0, y1 = max(0, int((y - 2 * bh) * h)), min(h, int((y + bh) * h) + 1)
        near = np.zeros((h, w), bool)
        near[y0:y1, x0:x1] = True
        return near

    def _judge(self, stack: npt.NDArray[np.bool_], near: Mask | None) -> Finding | None:
        """The most smoke-like persistent region of the window, if one passes every test.

        A region that rises out of a flame confirmed moments ago (``near``) needs only to
        be a persistent, semi-transparent grey region without edges of its own: smoke is
        expected there, so it is not asked to churn or to stand upright, and a shorter
        window suffices.
        """
        p = self.params
        n, h, w = stack.shape
        min_area = p.screen_fraction * h * w
        persistent = (stack.mean(axis=0) >= 0.4).astype(np.uint8)
        assert self._contrasts is not None
        count, labels, stats, _ = cv2.connectedComponentsWithStats(persistent, connectivity=8)
        upright = stats[1:, cv2.CC_STAT_HEIGHT] >= p.min_aspect * stats[1:, cv2.CC_STAT_WIDTH]
        self.watching = bool((stats[1:, cv2.CC_STAT_AREA][upright] >= min_area / 2).any())
        gains = list(self._gains)[-n:]
        throughs = list(self._throughs)[-n:]
        times = list(self._times)[-n:]
        sweeps = np.stack(list(self._sweeps)[-n:])
        best: Finding | None = None
        resting_off = self._rests.off_under_light(*self._lit_background())
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < min_area:
                continue
            region = labels == label
            present = (stack & region).sum(axis=(1, 2)) >= min_area / 2
            if present.mean() < p.confirm_ratio:
                continue
            seen = np.stack(throughs)[:, region]
            through = float(np.nanmedian(seen)) if np.isfinite(seen).any() else 1.0
            expected = near is not None and bool((near & region).mean() >= 0.5 * region.mean())
            # Thick smoke right above a flame may hide most of what is behind it.
            if through < (p.min_show_through_near_flame if expected else p.min_show_through):
                continue
            # Over a focus window, a region most of which last rested at another look than
            # the background's is a ghost or a walker and what they put down: smoke drifts
            # over a background that looked as it does at rest.
            if self._ghostly(region, resting_off):
                continue
            gained = float(np.mean([g[region].mean() for g in gains]))
            if gained > p.max_new_edges:
                continue
            side = travel(stack & region, times)
            if abs(side) > p.max_side:
                continue
            swept = swept_share(sweeps, region, p.sweep_speed)
            if swept > p.max_swept:
                continue
            x, y = stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_TOP]
            bw, bh = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
            churn = self._churn(region)
            if not expected and (churn < p.min_churn or bh < p.min_aspect * bw):
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
                        "swept": round(swept, 3),
                        "gained": round(gained, 3),
                        "through": round(through, 3),
                        "near_flame": expected,
                    },
                )
        return best

    def _churn(self, region: Mask) -> float:
        """Mean change of the region's change map over ~1 s, relative to its mean: smoke
        billows, a grey thing that arrived and stopped does not."""
        t, now = self._history[-1]
        earlier = [c for s, c in self._history if 0.6 <= t - s <= 1.2]
        if not earlier:
            return 0.0
        moved = float(cv2.absdiff(now, earlier[-1])[region].mean())
        return moved / (float(now[region].mean()) + 1.0)

    def reset(self) -> None:
        """Forget the focus window; the background stays."""
        self._masks.clear()
        self._times.clear()
        self._history.clear()
        self._gains.clear()
        self._throughs.clear()
        self._sweeps.clear()
        self._last_look = None
        self.watching = False
