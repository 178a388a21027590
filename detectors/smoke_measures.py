"""Picture measures of the smoke detector: colour planes, saturation and local contrast,
sideways travel and the share of a region that traffic was carried across.

Pure functions of small float pictures and masks; ``detectors/smoke.py`` holds the
detector's state and its rules.
"""

import cv2
import numpy as np
import numpy.typing as npt

FloatImage = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
GHOST_EDGE_RATIO = 2.0
"""How much sharper the background's edges along a region's outline are than the picture's
when the region is a ghost."""
SWEPT_FRAMES = 3
"""Focus frames' worth of sideways motion at ``sweep_speed``, one way, that make a pixel
crossed by traffic."""


def channels(image: FloatImage) -> tuple[FloatImage, FloatImage, FloatImage]:
    """The three colour planes (per-plane arithmetic is much cheaper than reducing axis 2)."""
    b, g, r = (np.asarray(c, np.float32) for c in cv2.split(image))
    return b, g, r


THIRDS = np.full((1, 3), 1.0 / 3.0, np.float32)
"""The mean over three colour channels, as a colour transform."""


def mean_abs_diff(image: FloatImage, other: FloatImage) -> FloatImage:
    """Mean absolute difference over the colour channels (one colour transform of the
    difference: a quarter of the cost of splitting the planes, and the screen asks for it
    four or five times a key frame)."""
    out: FloatImage = np.asarray(cv2.transform(cv2.absdiff(image, other), THIRDS), np.float32)
    return out


def look(image: FloatImage) -> tuple[FloatImage, FloatImage, FloatImage]:
    """Saturation, local contrast and, per pixel, the brightest channel of a picture."""
    b, g, r = channels(image)
    high: FloatImage = np.maximum(np.maximum(b, g), r)
    low = np.minimum(np.minimum(b, g), r)
    # HSV-like saturation in [0, 1]: unchanged by a uniform gain.
    sat: FloatImage = np.asarray((high - low) / (high + 8.0), np.float32)
    grey = (b + g + r) * np.float32(1.0 / 3.0)
    return sat, contrast(grey), high


def contrast(grey: FloatImage) -> FloatImage:
    """Local gradient magnitude over local brightness: unchanged by a smooth gain."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.GaussianBlur(np.abs(gx) + np.abs(gy), (5, 5), 0)
    local = cv2.GaussianBlur(grey, (5, 5), 0) + 10.0
    ratio: FloatImage = magnitude / (8.0 * local)
    return ratio


def is_ghost(region: Mask, now: FloatImage, background: FloatImage) -> bool:
    """Whether the region's outline is an edge of the background, not of the picture.

    Cucchiara et al. (2003): where something that stood when the background was learnt has
    left (a car of the first picture), the changed region is bounded by that thing's sharp
    outline in the background, and the picture now shows no edge there; smoke's outline is
    soft in both, a car's is sharp in the picture. ``now`` and ``background`` are local
    contrast maps.
    """
    blob = region.astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    ring = (cv2.dilate(blob, kernel) > 0) & ~(cv2.erode(blob, kernel) > 0)
    if not ring.any():
        return False
    return float(background[ring].mean()) > GHOST_EDGE_RATIO * float(now[ring].mean()) + 0.02


def swept_share(sweeps: FloatImage, region: Mask, speed: float) -> float:
    """Share of the region that something was carried across, one way, within the window.

    Per pixel, the signed sideways speeds of the frames it was swept in are summed: a car
    passing a point is carried the same way for several focus frames, while a billow that
    jitters to and fro cancels out. Counted once per pixel, not per frame: where the
    lane's background was learnt with traffic in it, the bare road between two cars is a
    (still) candidate too and would dilute a per-frame share.
    """
    crossed = np.abs(sweeps[:, region].sum(axis=0)) >= SWEPT_FRAMES * speed
    return float(crossed.mean())


def travel(masks: npt.NDArray[np.bool_], times: list[float]) -> float:
    """Sideways speed (picture widths per second) of the masks' centre, least squares."""
    points = [
        (t, float(np.nonzero(m)[1].mean()) / m.shape[1])
        for t, m in zip(times, masks, strict=True)
        if m.any()
    ]
    if len(points) < 3 or points[-1][0] <= points[0][0]:
        return 0.0
    ts, xs = np.array(points).T
    return float(np.polyfit(ts - ts[0], xs, 1)[0])
