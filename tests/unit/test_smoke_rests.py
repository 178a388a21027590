"""Where the smoke detector's pixels rest, under changing light."""

import numpy as np

from detectors.smoke_rests import PixelRests, local_light


def scene() -> np.ndarray:
    """A wall with windows, as the smoke detector sees it (160 x 90, float)."""
    rng = np.random.default_rng(1)
    img = np.full((90, 160, 3), 130.0, np.float32)
    img[10:80:12, :] = 60.0
    img[:, 5:160:15] = 60.0
    return img + rng.normal(0, 1, img.shape).astype(np.float32)


def shadowed(img: np.ndarray, depth: float) -> np.ndarray:
    """Under a cloud shadow as wide as the picture, darkest at its middle."""
    xs = np.arange(img.shape[1], dtype=np.float32)
    gain = 1.0 - depth * np.exp(-(((xs - 80) / 60) ** 2))
    out: np.ndarray = img * gain[None, :, None]
    return out


def watch(rests: PixelRests, pictures: list[np.ndarray], background: np.ndarray) -> np.ndarray:
    """Pictures a key frame a second; what the screen would take for a ghost at the last."""
    nothing = np.zeros(background.shape[:2], bool)
    arrived = nothing
    for picture in pictures:
        rests.ghosts(picture, 1.0, nothing, background)
        arrived = rests.arrived_off(background, local_light(background))
    return arrived


def test_a_wall_resting_under_a_cloud_shadow_is_no_ghost() -> None:
    """The light scales a whole neighbourhood: under the background's light the shadowed
    wall rests at the background's look."""
    background = scene()
    rests = PixelRests(min_change=6.0)
    arrived = watch(rests, [background] + [shadowed(background, 0.25)] * 5, background)
    assert arrived.mean() < 0.02


def with_patch(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[30:60, 60:90] = 175.0
    return out


def test_a_patch_resting_since_the_first_picture_is_a_ghost_one_that_came_later_is_not() -> None:
    """A patch that rests where the background shows the wall, under the same shadow, from
    the first picture on (the background was learnt with something there that left), and
    one that arrived after the wall rested bare (a steady plume)."""
    background = scene()
    early = watch(
        PixelRests(min_change=6.0), [shadowed(with_patch(background), 0.25)] * 6, background
    )
    assert early[35:55, 65:85].mean() > 0.9
    later = [shadowed(background, 0.25)] * 3 + [shadowed(with_patch(background), 0.25)] * 6
    assert not watch(PixelRests(min_change=6.0), [background, *later], background)[
        35:55, 65:85
    ].any()
