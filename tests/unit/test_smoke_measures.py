"""Picture measures of the smoke detector."""

import numpy as np

from detectors.smoke_measures import look, mean_abs_diff


def test_mean_abs_diff_is_the_mean_over_channels_of_the_absolute_difference() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 255, (90, 160, 3)).astype(np.float32)
    b = rng.uniform(0, 255, (90, 160, 3)).astype(np.float32)
    expected = np.abs(a - b).mean(axis=2)
    assert np.allclose(mean_abs_diff(a, b), expected, atol=1e-3)


def test_look_gives_the_brightest_channel_of_each_pixel() -> None:
    img = np.zeros((4, 4, 3), np.float32)
    img[..., 0], img[..., 1], img[..., 2] = 10.0, 200.0, 50.0
    _, _, high = look(img)
    assert np.all(high == 200.0)
