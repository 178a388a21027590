"""Where each pixel of the smoke detector's working picture comes to rest, and the ghosts
that tells apart from smoke.

The smoke detector's background starts as the first picture, which holds whatever stood or
drove there; where that has left, the bare road reads as a grey change that washes out
what the background shows, like smoke. Smoke never keeps still for long; a bare road keeps
coming back between passing cars, looking the same each time. So each pixel keeps the look
it rests at and how long it has rested there in all, interruptions not counted.

Patrol asks a different question at each key frame: did whatever rests there now arrive
after watching began? There looks are compared under the background's light: a cloud
shadow drifting across or the camera's exposure scales a whole neighbourhood, and a sky
whose light drifted since the first picture otherwise rests "off the background"
everywhere, so that smoke rising over it was taken for a ghost.
"""

import cv2
import numpy as np

from detectors.smoke_measures import FloatImage, Mask, mean_abs_diff

GHOST_S = 3.0
"""Seconds at rest, in all, at a look that is not the background's: a ghost."""
STILL_CHANGE = 3.0
"""Grey levels (mean over channels) between two looks below which a pixel is still."""
FIRST_REST_S = 1.0
"""Seconds a pixel keeps still before that look is its first rest (a passing car's flat
body keeps still for a moment only)."""
NEW_REST_S = 3.0
"""Seconds a pixel keeps still at another look before that look is its new rest."""
REST_MATCH = 6.0
"""Grey levels within which a pixel at rest again looks as at its last rest (the same bare
road between two cars, up to codec noise and a little light change)."""
LIGHT_SPAN = 0.25
"""Side of the box, in picture widths, over which the light is taken as one gain: a cloud
shadow's is wider; smoke, a car or a ghost covers a small part of it."""


def local_light(image: FloatImage) -> FloatImage:
    """Mean brightness of the box around each pixel, LIGHT_SPAN picture widths wide."""
    side = max(3, int(LIGHT_SPAN * image.shape[1]) | 1)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    out: FloatImage = np.asarray(cv2.blur(grey, (side, side)), np.float32) + np.float32(10.0)
    return out


def under_light(image: FloatImage, light: FloatImage) -> FloatImage:
    """``image`` as it would look where the local mean brightness is ``light``."""
    gain = light / local_light(image)
    out: FloatImage = image * gain[..., None]
    return out


class PixelRests:
    """Each pixel's look at rest and the seconds it has rested there."""

    def __init__(self, min_change: float) -> None:
        self._min_change = min_change
        """Grey levels from the background at which a rest is not the background's look."""
        self._previous: FloatImage | None = None
        self._rest: FloatImage | None = None
        self._rest_s = np.zeros((1, 1), np.float32)
        self._still_s = np.zeros((1, 1), np.float32)
        self._rested = np.zeros((1, 1), bool)
        self.off_rest = np.zeros((1, 1), bool)
        """Pixels whose look at rest differs from the background's."""
        self._seen_bare = np.zeros((1, 1), bool)

    def ghosts(
        self, image: FloatImage, dt: float, candidates: Mask, background: FloatImage
    ) -> Mask:
        """Pixels that have rested for GHOST_S at one look that is not the background's: a
        ghost (the background was learnt with something there that has left) or an object
        put down. The caller heals them into the background. Smoke never keeps still for
        long, so where it rises the rest stays the bare background itself.

        A pixel's rest is the first look it keeps still at, and then one it keeps still at
        for NEW_REST_S (a car stopping in a queue). Rests are summed over interruptions: in
        a lane the bare road where a car of the first picture stood comes back between
        passing cars, so that ghost heals although traffic never lets it keep still for long.
        """
        if self._previous is None or self._rest is None:
            self._rest = image.copy()
            self._rest_s = np.zeros(image.shape[:2], np.float32)
            self._still_s = np.zeros(image.shape[:2], np.float32)
            self._rested = np.zeros(image.shape[:2], bool)
            self._previous = image
            return np.zeros(image.shape[:2], bool)
        # Masked writes go through np.where and cv2.copyTo: numpy's boolean-index
        # assignment costs 0.3-0.4 ms each on a 160x90 picture, the whole of the rest.
        step, zero = np.float32(dt), np.float32(0.0)
        still = mean_abs_diff(image, self._previous) < STILL_CHANGE
        self._previous = image
        self._still_s = np.where(still, self._still_s + step, zero)
        at_rest = still & self._rested & (mean_abs_diff(image, self._rest) < REST_MATCH)
        new = still & ~at_rest & (self._still_s >= np.where(self._rested, NEW_REST_S, FIRST_REST_S))
        self._rest_s = np.where(new, step, np.where(at_rest, self._rest_s + step, self._rest_s))
        self._rested |= new
        # The look at rest follows slow light changes (a cloud shadow, dusk), but not at a
        # candidate that rested as the background looks: there thin smoke may be thickening
        # slowly.
        follow = (at_rest & (~candidates | self.off_rest)) | new
        cv2.copyTo(image, follow.view(np.uint8), self._rest)
        self.off_rest = mean_abs_diff(self._rest, background) >= self._min_change
        ghost: Mask = (at_rest | new) & (self._rest_s >= GHOST_S) & self.off_rest
        return ghost

    def off_under_light(self, background: FloatImage, light: FloatImage) -> Mask:
        """Pixels whose look at rest, under the background's ``light`` (``local_light``),
        is not the background's look."""
        if self._rest is None:
            return np.zeros(background.shape[:2], bool)
        rest = under_light(self._rest, light)
        off: Mask = mean_abs_diff(rest, background) >= self._min_change
        return off

    def arrived_off(self, background: FloatImage, light: FloatImage) -> Mask:
        """Pixels resting off the background's look (under its light) that never rested at
        it when asked (the screen asks at each key frame): a ghost of the first picture. A
        steady plume, thick enough to rest at its own grey between key frames, rose over a
        spot that rested bare before."""
        off = self.off_under_light(background, light)
        if self._seen_bare.shape != off.shape:
            self._seen_bare = np.zeros(off.shape, bool)
        self._seen_bare |= self._rested & ~off
        arrived: Mask = off & ~self._seen_bare
        return arrived
