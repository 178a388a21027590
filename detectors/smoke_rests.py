"""Where each pixel of the smoke detector's working picture comes to rest, and the ghosts
that tells apart from smoke.

The smoke detector's background starts as the first picture, which holds whatever stood or
drove there; where that has left, the bare road reads as a grey change that washes out
what the background shows, like smoke. Smoke never keeps still for long; a bare road keeps
coming back between passing cars, looking the same each time. So each pixel keeps the look
it rests at and how long it has rested there in all, interruptions not counted.
"""

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
        still = mean_abs_diff(image, self._previous) < STILL_CHANGE
        self._previous = image
        self._still_s[still] += np.float32(dt)
        self._still_s[~still] = 0.0
        at_rest = still & self._rested & (mean_abs_diff(image, self._rest) < REST_MATCH)
        self._rest_s[at_rest] += np.float32(dt)
        new = still & ~at_rest & (self._still_s >= np.where(self._rested, NEW_REST_S, FIRST_REST_S))
        self._rest_s[new] = np.float32(dt)
        self._rested |= new
        # The look at rest follows slow light changes (a cloud shadow, dusk), but not at a
        # candidate that rested as the background looks: there thin smoke may be thickening
        # slowly.
        follow = (at_rest & (~candidates | self.off_rest)) | new
        self._rest[follow] = image[follow]
        self.off_rest = mean_abs_diff(self._rest, background) >= self._min_change
        ghost: Mask = (at_rest | new) & (self._rest_s >= GHOST_S) & self.off_rest
        return ghost
