"""The fire detector on pictures drawn here: a flickering flame, and things that look warm."""

import numpy as np
import pytest

from detectors.fire import FireDetector, FireParams, flame_mask
from detectors.frame_api import SCREEN_HIT, Frame

H, W = 180, 320


def street(rng: np.random.Generator) -> Frame:
    """A grey street with some sensor noise."""
    img = np.full((H, W, 3), (105, 110, 112), np.uint8)
    img[120:, :] = (70, 72, 74)
    noise = rng.integers(-4, 5, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def flame(img: Frame, rng: np.random.Generator, cx: int = 160, base: int = 130) -> Frame:
    """A flame: white-yellow core, orange rim, a jagged top that changes every frame."""
    out = img.copy()
    for x in range(cx - 14, cx + 15):
        height = int(rng.integers(18, 42) * (1 - abs(x - cx) / 18))
        if height <= 0:
            continue
        out[base - height : base, x] = (0, 120, 255)  # orange rim (BGR)
        core = height * 2 // 3
        out[base - core : base, x] = (150, 235, 255)  # yellow-white core
    return out


def glow(img: Frame, brightness: float) -> Frame:
    """A sodium lamp's pool of orange light on the road (steady shape, brightness given)."""
    out = img.astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W]
    weight = np.exp(-(((xx - 80) / 40.0) ** 2 + ((yy - 140) / 12.0) ** 2)) * brightness
    out += weight[..., None] * np.array([-40, 40, 130], np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def orange_car(img: Frame, x: int) -> Frame:
    out = img.copy()
    out[125:145, x : x + 40] = (20, 110, 250)
    return out


def run(frames: list[Frame]) -> list[float]:
    """Confirm over ``frames``; the frames must look flame-coloured, or the test proves nothing."""
    share = FireParams().screen_fraction
    assert all(flame_mask(f, FireParams().chroma_gap).mean() >= share for f in frames)
    detector = FireDetector()
    found = [detector.confirm(f, i / 5) for i, f in enumerate(frames)]
    return [f.confidence for f in found if f is not None]


def test_flickering_flame_is_confirmed_with_a_box_around_it() -> None:
    rng = np.random.default_rng(1)
    frames = [flame(street(rng), rng) for _ in range(12)]
    detector = FireDetector()
    findings = [detector.confirm(f, i / 5) for i, f in enumerate(frames)]
    hits = [f for f in findings if f is not None]
    assert hits, "a flickering flame must be confirmed"
    x, y, w, h = hits[-1].box or (0, 0, 0, 0)
    assert x <= 146 / W <= 174 / W <= x + w
    assert y <= 120 / H and y + h >= 125 / H
    assert hits[-1].attributes["flicker"] >= FireParams().min_flicker


def test_flame_makes_the_screen_ask_for_focus_and_street_does_not() -> None:
    rng = np.random.default_rng(2)
    detector = FireDetector()
    assert detector.screen(flame(street(rng), rng), 0.0) >= SCREEN_HIT
    assert detector.screen(street(rng), 0.0) < SCREEN_HIT


def test_steady_sodium_lamp_glow_is_not_fire() -> None:
    rng = np.random.default_rng(3)
    assert run([glow(street(rng), 1.0) for _ in range(12)]) == []


def test_pulsing_lamp_glow_is_not_fire() -> None:
    rng = np.random.default_rng(4)
    frames = [glow(street(rng), 0.6 + 0.4 * (i % 2)) for i in range(12)]
    assert run(frames) == []


def test_orange_car_driving_through_is_not_fire() -> None:
    rng = np.random.default_rng(5)
    assert run([orange_car(street(rng), 10 + 25 * i) for i in range(12)]) == []


def test_nothing_is_confirmed_before_the_window_is_full() -> None:
    rng = np.random.default_rng(6)
    detector = FireDetector(FireParams(confirm_frames=8))
    assert all(detector.confirm(flame(street(rng), rng), i) is None for i in range(7))


def test_reset_forgets_the_frames_seen() -> None:
    rng = np.random.default_rng(7)
    detector = FireDetector(FireParams(confirm_frames=4))
    for i in range(3):
        detector.confirm(flame(street(rng), rng), i)
    detector.reset()
    assert detector.confirm(flame(street(rng), rng), 3) is None


@pytest.mark.parametrize("bgr", [(255, 255, 255), (200, 60, 30), (40, 40, 40)])
def test_white_blue_and_dark_pixels_are_not_flame_coloured(bgr: tuple[int, int, int]) -> None:
    img = np.zeros((H, W, 3), np.uint8)
    img[:] = (110, 110, 110)
    img[50:100, 50:100] = bgr
    assert not flame_mask(img, chroma_gap=40)[50:100, 50:100].any()


def test_flame_colour_without_a_hot_core_does_not_ask_for_focus() -> None:
    rng = np.random.default_rng(8)
    detector = FireDetector()
    car, lamp = orange_car(street(rng), 100), glow(street(rng), 1.0)
    assert flame_mask(car, FireParams().chroma_gap).mean() >= FireParams().screen_fraction
    assert detector.screen(car) < SCREEN_HIT and detector.screen(lamp) < SCREEN_HIT
    assert detector.screen(flame(street(rng), rng)) >= SCREEN_HIT


def sunlit_patch(img: Frame) -> Frame:
    """Sunlit sand: flame-coloured, yellow-white all over, and still."""
    out = img.copy()
    out[100:125, 120:200] = (120, 215, 250)
    return out


def test_a_still_sunlit_patch_is_not_fire() -> None:
    rng = np.random.default_rng(12)
    frames = [sunlit_patch(street(rng)) for _ in range(20)]
    assert run(frames) == []


def warm_wall(img: Frame) -> Frame:
    """A sunlit brick wall with a bright window frame in it: flame colour around a
    yellow-white spot, and nothing moves."""
    out = img.copy()
    out[20:70, 40:140] = (60, 110, 215)  # brick (BGR)
    out[30:40, 90:98] = (200, 240, 255)  # window frame in the sun
    return out


def test_a_wall_focus_found_not_burning_asks_again_only_when_a_flame_appears_on_it() -> None:
    rng = np.random.default_rng(14)
    detector = FireDetector()
    assert detector.screen(warm_wall(street(rng)), 0.0) >= SCREEN_HIT, "the wall looks warm"
    for i in range(12):  # focus: nothing confirmed
        assert detector.confirm(warm_wall(street(rng)), 0.2 + i / 5) is None
    detector.reset()
    assert detector.screen(warm_wall(street(rng)), 4.0) < SCREEN_HIT, "examined, unchanged"
    assert detector.screen(warm_wall(street(rng)), 6.0) < SCREEN_HIT
    burning = flame(warm_wall(street(rng)), rng, cx=90, base=68)
    assert detector.screen(burning, 8.0) >= SCREEN_HIT, "a flame on the wall changes it"
    later = FireParams().examined_s + 10.0
    assert detector.screen(warm_wall(street(rng)), later) >= SCREEN_HIT, "examined for a while"


def flat_glow(img: Frame, rng: np.random.Generator) -> Frame:
    """Warm light flickering along a roofline: a band five times wider than tall, hot
    inside and changing every frame like a flame, but lying down."""
    out = img.copy()
    for x in range(100, 220):
        height = int(rng.integers(14, 25))
        out[110 - height : 110, x] = (0, 120, 255)
        out[110 - height // 3 : 110, x] = (150, 235, 255)
    return out


def test_a_band_lying_along_a_roofline_is_not_fire() -> None:
    rng = np.random.default_rng(5)
    frames = [flat_glow(street(rng), rng) for _ in range(12)]
    assert run(frames) == []
    # Everything but its shape passes: stood upright (transposed), it would be a flame.
    lenient = FireDetector(FireParams(max_aspect=100.0))
    assert any(lenient.confirm(f, i / 5) for i, f in enumerate(frames))


def test_an_orange_car_beside_a_white_road_marking_does_not_ask_for_focus() -> None:
    rng = np.random.default_rng(21)
    picture = orange_car(street(rng), 100)
    picture[146:150, 60:140] = (250, 250, 250)  # the marking under and beside the car
    assert FireDetector().screen(picture, 0.0) < SCREEN_HIT
    # The same white inside the car's body (a flame's core inside its rim) does ask.
    picture[130:136, 115:125] = (250, 250, 250)
    assert FireDetector().screen(picture, 0.0) >= SCREEN_HIT
