"""Area downscaling in halvings: the same picture as OpenCV's one step, to a grey level."""

import cv2
import numpy as np
import pytest

from detectors.frame_api import shrink


@pytest.mark.parametrize("width", [320, 160, 80, 200, 640, 1000])
def test_shrink_matches_a_single_area_resize(width: int) -> None:
    rng = np.random.default_rng(width)
    frame = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    small = shrink(frame, width)
    if width >= 640:
        assert small is frame
        return
    expected = cv2.resize(frame, (width, 360 * width // 640), interpolation=cv2.INTER_AREA)
    assert small.shape == expected.shape and small.dtype == np.uint8
    assert int(np.abs(small.astype(np.int16) - expected.astype(np.int16)).max()) <= 1


def test_an_odd_height_still_gets_the_asked_width() -> None:
    frame = np.full((361, 640, 3), 90, dtype=np.uint8)
    small = shrink(frame, 160)
    assert small.shape[1] == 160 and int(small.min()) == int(small.max()) == 90


def test_the_same_picture_is_shrunk_once_and_shared_read_only() -> None:
    frame = np.random.default_rng(7).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    small = shrink(frame, 160)
    assert shrink(frame, 160) is small
    assert shrink(frame, 320).shape == (180, 320, 3)
    with pytest.raises(ValueError):
        small[0, 0, 0] = 1
    # Another picture, even one equal to the first, gets its own copies.
    other = frame.copy()
    other[:, :, 2] = 0
    assert int(shrink(other, 160)[..., 2].max()) == 0
    assert int(shrink(frame, 160)[..., 2].max()) > 0
