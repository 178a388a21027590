"""The smoke detector on pictures drawn here: a billowing grey plume over a brick wall."""

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from detectors.fire import FireDetector
from detectors.frame_api import SCREEN_HIT, Frame
from detectors.smoke import SmokeDetector
from tests.unit.test_fire_detector import flame, street

H, W = 180, 320


def wall(rng: np.random.Generator) -> Frame:
    """Red-brown bricks with dark mortar: saturated and full of edges."""
    img = np.full((H, W, 3), (40, 70, 150), np.uint8)
    img[::12, :] = (30, 30, 35)
    img[:, ::24] = (30, 30, 35)
    noise = rng.integers(-3, 4, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def plume(img: Frame, rng: np.random.Generator, t: float) -> Frame:
    """Grey billows rising from (160, 120), semi-transparent, different every frame."""
    density = np.zeros((H, W), np.float32)
    for k in range(8):
        age = (t * 2 + k / 8) % 1.0
        x = 160 + rng.normal(0, 4)
        y = 120 - 80 * age
        cv2.circle(density, (int(x), int(y)), int(14 + 20 * age), 0.7 * (1 - age) + 0.2, -1)
    a = np.minimum(cv2.GaussianBlur(density, (0, 0), 3), 0.8)[..., None]
    return (img * (1 - a) + np.float32(170) * a).astype(np.uint8)


def grey_car(img: Frame, x: int) -> Frame:
    out = img.copy()
    out[130:160, max(0, x) : max(0, min(W, x + 60))] = (170, 170, 172)
    return out


def test_a_billowing_grey_plume_is_smoke() -> None:
    rng = np.random.default_rng(1)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    detector.screen(plume(wall(rng), rng, 4.0), 4.0)
    assert detector.screen(plume(wall(rng), rng, 5.0), 5.0) >= SCREEN_HIT  # still there
    found = [detector.confirm(plume(wall(rng), rng, 5 + i / 5), 5 + i / 5) for i in range(1, 25)]
    hits = [f for f in found if f is not None]
    assert hits, "a plume must be confirmed"
    x, y, w, _ = hits[0].box or (0, 0, 0, 0)
    assert x < 0.5 < x + w and y < 120 / H  # over the plume, above its source


def test_a_grey_car_driving_past_is_not_smoke() -> None:
    rng = np.random.default_rng(2)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    found = [detector.confirm(grey_car(wall(rng), -60 + 14 * i), 5 + i / 5) for i in range(1, 30)]
    assert all(f is None for f in found)


def test_a_grey_car_seen_on_two_key_frames_does_not_ask_for_focus() -> None:
    """It has moved on by the next key frame; smoke would still be where it was."""
    rng = np.random.default_rng(6)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    assert detector.screen(grey_car(wall(rng), 20), 5.0) < SCREEN_HIT
    assert detector.screen(grey_car(wall(rng), 200), 6.0) < SCREEN_HIT


def test_a_steady_scene_under_a_cloud_shadow_is_not_smoke() -> None:
    rng = np.random.default_rng(3)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    shaded = [(wall(rng) * 0.75).astype(np.uint8) for _ in range(25)]
    assert detector.screen(shaded[0], 5.0) < SCREEN_HIT
    assert all(detector.confirm(f, 5 + i / 5) is None for i, f in enumerate(shaded))


def sunset_sky(rng: np.random.Generator) -> Frame:
    """A warm, saturated evening sky over a row of roofs (BGR)."""
    img = np.full((H, W, 3), (70, 150, 255), np.uint8)
    img[120:, :] = (60, 70, 90)
    img[120:, ::20] = (20, 20, 25)
    noise = rng.integers(-3, 4, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def test_thin_smoke_over_a_sunset_sky_asks_for_focus() -> None:
    """Thin smoke keeps much of the sky's colour: it is greyer than the sky, not grey."""
    rng = np.random.default_rng(4)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(sunset_sky(rng), float(i))
    hazy = sunset_sky(rng).astype(np.float32)
    hazy[20:100, 130:190] = hazy[20:100, 130:190] * 0.6 + np.float32(180) * 0.4
    detector.screen(hazy.astype(np.uint8), 5.0)
    assert detector.screen(hazy.astype(np.uint8), 6.0) >= SCREEN_HIT


class Flame:
    """A fire detector that confirmed a flame at (150..170, 110..130) at 5 s."""

    last_flame = (5.0, (150 / W, 110 / H, 20 / W, 20 / H))


def haze_above(img: Frame, rng: np.random.Generator) -> Frame:
    """A broad, even layer of grey over the wall above the flame, barely changing."""
    out = img.astype(np.float32)
    a = np.float32(0.45 + rng.uniform(-0.02, 0.02))
    out[70:110, 120:200] = out[70:110, 120:200] * (1 - a) + np.float32(160) * a
    return out.astype(np.uint8)


@pytest.mark.parametrize("flame", [None, Flame()])
def test_a_grey_layer_is_smoke_only_above_a_confirmed_flame(flame: Flame | None) -> None:
    """A flat, steady grey layer neither churns nor stands upright; above a flame it is
    the smoke everyone expects there."""
    rng = np.random.default_rng(5)
    detector = SmokeDetector(flames=flame)
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    found = [detector.confirm(haze_above(wall(rng), rng), 5 + i / 5) for i in range(1, 25)]
    hits = [f for f in found if f is not None]
    if flame is None:
        assert not hits
    else:
        assert hits and hits[0].attributes["near_flame"] is True


def test_a_flame_without_smoke_is_not_smoke() -> None:
    """Smoke is expected above a confirmed flame, but the flame's own tongues are not it."""
    rng = np.random.default_rng(7)
    fire = FireDetector()
    smoke = SmokeDetector(flames=fire)
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        smoke.screen(street(rng), float(i))
    flames, smokes = [], []
    for i in range(1, 40):
        frame, t = flame(street(rng), rng), 5 + i / 5
        flames.append(fire.confirm(frame, t))
        smokes.append(smoke.confirm(frame, t))
    assert any(f is not None for f in flames), "the flame must be confirmed, or this proves nothing"
    assert all(s is None for s in smokes)


def road(rng: np.random.Generator) -> Frame:
    """Buildings, pavement and a two-lane road with white dashes (the simulator's street)."""
    img = np.full((H, W, 3), (150, 150, 146), np.uint8)
    img[:100] = (120, 130, 140)
    img[100:170] = (88, 88, 94)
    for x in range(0, W, 40):
        img[133:136, x : x + 20] = (225, 225, 220)
    noise = rng.integers(-3, 4, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def grey_cars(img: Frame, t: float) -> Frame:
    """Flat grey cars one behind the other along the lower lane, 70 px/s: whichever is in
    view, the lane keeps changed and churning while the stream's centre stays put."""
    out = img.copy()
    for k in range(-1, W // 110 + 2):
        x = int(k * 110 + (70.0 * t) % 110 - 60)
        out[135:165, max(0, x) : max(0, min(W, x + 60))] = (170, 170, 172)
    return out


def rising_plume(img: Frame, t: float) -> Frame:
    """Soft grey puffs rising slowly (30 px/s) from a roof at (200, 100), a light wind."""
    density = np.zeros((H, W), np.float32)
    for k in range(12):
        age = (t + k / 3) % 4.0
        centre = (int(200 + 3 * age), int(100 - 30 * age))
        cv2.circle(density, centre, int(8 + 5 * age), 0.6 * (1 - age / 4), -1)
    a = np.minimum(cv2.GaussianBlur(density, (0, 0), 3), 0.8)[..., None]
    return (img * (1 - a) + np.float32(165) * a).astype(np.uint8)


@pytest.mark.parametrize(("scene", "smoke"), [(grey_cars, False), (rising_plume, True)])
def test_grey_sliding_sideways_along_a_lane_is_traffic_but_rising_grey_is_smoke(
    scene: Callable[[Frame, float], Frame], smoke: bool
) -> None:
    """Optical flow tells them apart: each car is carried sideways as one rigid body; smoke
    rises slowly and the road's edges stay put behind it."""
    rng = np.random.default_rng(8)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(road(rng), float(i))
    times = [5 + i / 5 for i in range(1, 40)]
    found = [detector.confirm(scene(road(rng), t), t) for t in times]
    hits = [f for f in found if f is not None]
    assert bool(hits) is smoke
    if smoke:
        assert hits[0].attributes["swept"] < 0.15
