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


def drifting_light(img: Frame, t: float) -> Frame:
    """A cloud shadow drifting across (a fifth darker, 30 px/s) and the overall light
    swaying by 5 % (the simulator's day): every pixel changes between two key frames."""
    xs = np.arange(W, dtype=np.float32)
    centre = (30.0 * t) % (1.6 * W) - 0.3 * W
    gain = 1.0 + 0.05 * np.sin(2 * np.pi * t / 11) - 0.22 * np.exp(-(((xs - centre) / 58) ** 2))
    return np.clip(img * gain[None, :, None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize("smoke", [False, True])
def test_smoke_under_a_drifting_cloud_shadow_asks_for_focus_and_the_shadow_does_not(
    smoke: bool,
) -> None:
    """Patrol sees a key frame a second. Each pixel's look at rest is compared under the
    background's light: otherwise nothing keeps still in drifting light, the wall rests
    "off the background" everywhere, and the plume rising over it is taken for a ghost."""
    rng = np.random.default_rng(9)
    detector = SmokeDetector()
    scores = []
    for i in range(-5, 14):
        t = float(i)
        picture = road(rng)
        if smoke and t >= 9:
            picture = rising_plume(picture, t)
        scores.append(detector.screen(drifting_light(picture, t), t))
    assert (max(scores[-4:]) >= SCREEN_HIT) is smoke
    assert max(scores[:-4]) < SCREEN_HIT


def opaque_plume(img: Frame) -> Frame:
    """A thick grey column over the wall, the same on every key frame: its core hides what
    is behind it and rests at its own grey."""
    out = img.astype(np.float32)
    out[30:110, 140:180] = out[30:110, 140:180] * 0.3 + np.float32(170) * 0.7
    return out.astype(np.uint8)


def test_a_plume_resting_at_its_own_grey_still_asks_for_focus() -> None:
    """Its pixels rested at the background's look before it rose: it is no ghost of the
    first picture, although it now rests at another look (seen a key frame a second)."""
    rng = np.random.default_rng(10)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(wall(rng), float(i))
    scores = [detector.screen(opaque_plume(wall(rng)), float(t)) for t in range(5, 10)]
    # At 9 s it has kept still for 3 s and rests at its own grey (like anything that
    # rests, it is healed into the background soon after).
    assert scores[-1] >= SCREEN_HIT


def test_the_ghost_of_a_grey_car_in_the_first_picture_does_not_ask_for_focus() -> None:
    """The bare wall where it stood never rested at the background's look."""
    rng = np.random.default_rng(11)
    detector = SmokeDetector()
    detector.screen(grey_car(wall(rng), 100), -6.0)
    scores = [detector.screen(wall(rng), float(t)) for t in range(-5, 12)]
    assert max(scores) < SCREEN_HIT


def night(rng: np.random.Generator) -> Frame:
    """A dark sky over dark walls, and a road lit by sodium lamps."""
    img = np.full((H, W, 3), (24, 12, 10), np.uint8)
    img[60:100, :] = (34, 30, 30)
    img[100:170] = (60, 90, 110)
    noise = rng.integers(-2, 3, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def test_a_lit_plume_over_a_dark_night_sky_brings_no_new_edges_there() -> None:
    """Over a dark background anything lit brings its own outline, smoke too: there new
    edges are not held against it (they kept night plumes from being confirmed for
    seconds); over the lamp-lit road a grey car's outline still counts."""
    rng = np.random.default_rng(12)
    detector = SmokeDetector()
    for i in range(-5, 5):  # watched for 10 s: past the warm-up
        detector.screen(night(rng), float(i))
    t = 5.2
    detector.confirm(grey_car(rising_plume(night(rng), t), 100), t)
    gains = detector._gains[-1]
    assert not gains[:30].any()  # the plume over the night sky (working picture rows)
    assert gains[65:85, 50:80].any()  # the car's outline over the lit road
