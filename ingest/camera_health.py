"""Is the camera's picture still a picture? Health checks on decoded key frames.

A camera is also a source of incidents about itself (ARCHITECTURE.md). Besides being
offline (the worker's reconnect loop knows that), its picture can be:

* **frozen**: key frames stay identical for ``frozen_s`` while packets still arrive (a hung
  encoder or a DVR replaying one still); live scenes differ from one key frame to the next
  by sensor noise at least;
* **covered**: dark and featureless against the camera's own baseline (a hand, a cloth, a
  bag over the lens, a dead sensor), or black outright;
* **blurred**: normal brightness but the detail (variance of the Laplacian) collapsed
  against the baseline (fogged or smeared lens, lost focus);
* **moved**: ORB features of a key frame no longer line up with the stored reference view
  (the camera was turned or knocked).

``PictureHealth`` is a small state object: key frame and stream time in, fault changes
out. Each fault must hold for ``hold_s`` before it is raised and be gone for ``hold_s``
before it clears, so one odd frame changes nothing. The baseline is learned from the
first ``baseline_frames`` usable key frames and then follows the picture slowly while it
is healthy (day and night).
"""

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from detectors.frame_api import Frame, shrink

FAULTS = ("covered", "frozen", "blurred", "moved")
"""Picture faults, most telling first (a covered lens is also flat, so never "frozen")."""

Gray = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class HealthParams:
    """Thresholds of the picture health checks (times are stream seconds)."""

    frozen_s: float = 30.0
    frozen_diff: float = 1.0
    """Mean absolute grey-level difference below which two key frames count as identical."""
    black_luma: float = 16.0
    """Mean luminance (0-255) below which a featureless picture is black whatever the baseline."""
    covered_luma_ratio: float = 0.35
    covered_texture_ratio: float = 0.1
    blur_ratio: float = 0.3
    """Laplacian variance below this share of the baseline, at normal brightness: blurred."""
    hold_s: float = 10.0
    baseline_frames: int = 5
    baseline_alpha: float = 0.02
    moved_every_s: float = 60.0
    moved_min_matches: int = 25
    moved_shift: float = 0.05
    """Median displacement of matched features, as a share of the picture width."""


@dataclass(frozen=True, slots=True)
class HealthChange:
    """A picture fault raised (``active``) or cleared, with what was measured."""

    fault: str
    active: bool
    detail: str
    measures: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Debounce:
    active: bool = False
    pending_since: float | None = None

    def update(self, condition: bool, t: float, hold_s: float) -> bool:
        """True when the state flipped at this observation."""
        if condition == self.active:
            self.pending_since = None
            return False
        if self.pending_since is None:
            self.pending_since = t
        if t - self.pending_since >= hold_s:
            self.active, self.pending_since = condition, None
            return True
        return False


@dataclass(slots=True)
class _Baseline:
    luma: float = 0.0
    texture: float = 0.0
    frames: int = 0

    def learn(self, luma: float, texture: float, alpha: float) -> None:
        self.frames += 1
        weight = max(alpha, 1.0 / self.frames)
        self.luma += weight * (luma - self.luma)
        self.texture += weight * (texture - self.texture)


def _features(
    orb: cv2.ORB, gray: Gray
) -> tuple[list[tuple[float, float]], npt.NDArray[np.uint8] | None]:
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    points = [(float(kp.pt[0]), float(kp.pt[1])) for kp in keypoints]
    return points, None if descriptors is None else np.asarray(descriptors, dtype=np.uint8)


class PictureHealth:
    """Watches one camera's key frames for picture faults; ``observe`` each decoded key frame."""

    def __init__(self, params: HealthParams | None = None) -> None:
        self.params = params or HealthParams()
        self._baseline = _Baseline()
        self._state = {fault: _Debounce() for fault in FAULTS}
        self._previous: npt.NDArray[np.uint8] | None = None
        self._same_since: float | None = None
        # cv2's stubs miss ORB_create in 5.0; it is there at runtime (features2d).
        self._orb: cv2.ORB = cv2.ORB_create(nfeatures=400)  # type: ignore[attr-defined]
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        self._reference: tuple[list[tuple[float, float]], npt.NDArray[np.uint8]] | None = None
        self.reference_view: Gray | None = None
        """The reference view (small grey picture) once there is one, to be kept on disk."""
        self._moved_checked_at: float | None = None
        self._moved = False
        self._moved_measures: dict[str, float] = {}
        self.measures: dict[str, float] = {}

    @property
    def faults(self) -> list[str]:
        """The faults raised now, most telling first."""
        return [fault for fault in FAULTS if self._state[fault].active]

    def set_reference(self, image: Frame) -> None:
        """Store the view the camera should keep (e.g. kept from an earlier run)."""
        small = self._small(image)
        orb_points, descriptors = _features(self._orb, small)
        self._reference = (orb_points, descriptors) if descriptors is not None else None
        self.reference_view = small if self._reference is not None else None

    def restart(self) -> None:
        """A new stream session: stream time starts again; baseline and raised faults stay."""
        self._previous, self._same_since, self._moved_checked_at = None, None, None
        for state in self._state.values():
            state.pending_since = None

    def observe(self, image: Frame, t: float) -> list[HealthChange]:
        """Look at one decoded key frame (BGR) at stream time ``t``; the faults that changed."""
        p = self.params
        gray = self._small(image)
        luma = float(gray.mean())
        texture = float(cv2.Laplacian(gray, cv2.CV_32F).var())
        self.measures = {"luma": luma, "texture": texture}
        base = self._baseline
        learning = base.frames < p.baseline_frames
        flat = texture < p.covered_texture_ratio * base.texture if not learning else False
        covered = (luma < p.black_luma and texture < 5 * p.black_luma) or (
            flat and luma < p.covered_luma_ratio * base.luma
        )
        blurred = not learning and not covered and texture < p.blur_ratio * base.texture
        frozen = not covered and self._frozen(image, t)
        moved = not learning and not covered and not blurred and self._moved_check(gray, t)
        conditions = {"covered": covered, "frozen": frozen, "blurred": blurred, "moved": moved}
        changes = []
        for fault, condition in conditions.items():
            hold = 0.0 if fault == "frozen" else p.hold_s  # frozen_s is its own hold
            if self._state[fault].update(condition, t, hold):
                changes.append(self._change(fault, self._state[fault].active))
        if not any(conditions.values()) and luma >= p.black_luma:
            base.learn(luma, texture, p.baseline_alpha)
            if self._reference is None and base.frames >= p.baseline_frames:
                self.set_reference(image)
        return changes

    def _change(self, fault: str, active: bool) -> HealthChange:
        m = dict(self.measures)
        if fault == "moved":
            m.update(self._moved_measures)
        b = self._baseline
        m["baseline_luma"], m["baseline_texture"] = b.luma, b.texture
        if fault == "frozen":
            detail = f"identical key frames for {self.params.frozen_s:g} s"
        elif fault == "moved":
            detail = "view no longer matches the reference"
        else:
            detail = (
                f"luma {m['luma']:.0f} (baseline {b.luma:.0f}), "
                f"detail {m['texture']:.0f} (baseline {b.texture:.0f})"
            )
        return HealthChange(fault, active, detail if active else f"{fault} cleared", m)

    @staticmethod
    def _small(image: Frame) -> Gray:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = shrink(np.asarray(gray, np.uint8), 320)
        if small.shape[:2] != (180, 320):  # not 16:9: the reference view has one size
            return np.asarray(cv2.resize(small, (320, 180), interpolation=cv2.INTER_AREA), np.uint8)
        return small

    def _frozen(self, image: Frame, t: float) -> bool:
        # Every other pixel of the full picture: area-averaging would smooth away the
        # sensor noise that tells a live still scene from a frozen one.
        sample = image[::2, ::2, 1] if image.ndim == 3 else image[::2, ::2]
        current = np.ascontiguousarray(sample, dtype=np.uint8)
        previous, self._previous = self._previous, current
        if previous is None or previous.shape != current.shape:
            self._same_since = None
            return False
        # OpenCV's absolute difference of uint8 planes: exact, a seventh of numpy's cost.
        diff = float(cv2.mean(cv2.absdiff(current, previous))[0])
        self.measures["key_frame_diff"] = diff
        if diff >= self.params.frozen_diff:
            self._same_since = None
            return False
        if self._same_since is None:
            self._same_since = t
        return t - self._same_since >= self.params.frozen_s

    def _moved_check(self, gray: Gray, t: float) -> bool:
        p = self.params
        if self._reference is None:
            return False
        if self._moved_checked_at is not None and t - self._moved_checked_at < p.moved_every_s:
            return self._moved
        self._moved_checked_at = t
        points, descriptors = _features(self._orb, gray)
        ref_points, ref_descriptors = self._reference
        if descriptors is None:
            self._moved = True
            return True
        matches = [m for m in self._matcher.match(ref_descriptors, descriptors) if m.distance < 48]
        self._moved_measures = {"moved_matches": float(len(matches))}
        if len(matches) < p.moved_min_matches:
            self._moved = True
            return True
        shifts = np.array(
            [np.subtract(points[m.trainIdx], ref_points[m.queryIdx]) for m in matches],
            dtype=np.float32,
        )
        shift = float(np.hypot(*np.median(shifts, axis=0))) / gray.shape[1]
        self._moved_measures["moved_shift"] = shift
        self._moved = shift > p.moved_shift
        return self._moved
