"""The picture health checks, fed synthetic key frames one stream-second apart."""

from collections.abc import Iterator

import cv2
import numpy as np

from ingest.camera_health import HealthChange, HealthParams, PictureHealth
from simulator.scenes import Scene, frames

FPS = 1
PARAMS = HealthParams(frozen_s=5, hold_s=3, baseline_frames=4, moved_every_s=2)


def key_frames(scene: Scene, seconds: int, seed: int = 3) -> Iterator[np.ndarray]:
    """One frame per second of the scene (BGR), as a patrol decoding key frames sees it."""
    for rgb in frames(scene, seconds * FPS, FPS, (640, 360), seed):
        yield cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def run(health: PictureHealth, images: list[np.ndarray], start: float = 0.0) -> list[HealthChange]:
    changes: list[HealthChange] = []
    for k, image in enumerate(images):
        changes += health.observe(image, start + k)
    return changes


def test_live_day_and_night_streets_raise_nothing() -> None:
    for scene in (Scene.STREET, Scene.NIGHT, Scene.FIRE):
        health = PictureHealth(PARAMS)
        assert run(health, list(key_frames(scene, 30))) == [], scene
        assert health.faults == []


def test_a_picture_that_stops_changing_is_frozen_after_frozen_s_and_clears_when_it_moves() -> None:
    health = PictureHealth(PARAMS)
    live = list(key_frames(Scene.STREET, 20))
    assert run(health, live[:8]) == []
    still = [live[8]] * 5
    assert run(health, still, start=8) == []  # 4 s identical: not yet
    raised = run(health, [live[8]] * 3, start=13)
    assert [(c.fault, c.active) for c in raised] == [("frozen", True)]
    assert health.faults == ["frozen"]
    cleared = run(health, live[9:12], start=16)
    assert [(c.fault, c.active) for c in cleared] == [("frozen", False)]
    assert health.faults == []


def test_a_covered_lens_is_raised_after_hold_s_not_as_frozen_and_clears_when_uncovered() -> None:
    health = PictureHealth(PARAMS)
    clip = list(key_frames(Scene.COVERED, 40))  # covered from 16 s on
    changes = run(health, clip)
    assert [(c.fault, c.active) for c in changes] == [("covered", True)]
    assert health.faults == ["covered"]
    assert changes[0].measures["luma"] < 0.35 * changes[0].measures["baseline_luma"]
    uncovered = run(health, list(key_frames(Scene.STREET, 6)), start=40)
    assert [(c.fault, c.active) for c in uncovered] == [("covered", False)]


def test_a_black_picture_is_covered_even_with_no_baseline_yet() -> None:
    health = PictureHealth(PARAMS)
    rng = np.random.default_rng(1)
    black = [rng.integers(0, 6, (360, 640, 3), dtype=np.uint8) for _ in range(6)]
    changes = run(health, black)
    assert ("covered", True) in [(c.fault, c.active) for c in changes]


def test_a_blurred_lens_is_blurred_not_covered() -> None:
    health = PictureHealth(PARAMS)
    live = list(key_frames(Scene.STREET, 20))
    assert run(health, live[:8]) == []
    smeared = [cv2.GaussianBlur(image, (0, 0), 6) for image in live[8:]]
    changes = run(health, smeared, start=8)
    assert [(c.fault, c.active) for c in changes] == [("blurred", True)]


def test_a_camera_turned_away_from_its_reference_view_has_moved() -> None:
    health = PictureHealth(PARAMS)
    live = list(key_frames(Scene.STREET, 24))
    assert run(health, live[:10]) == []
    turned = [
        cv2.warpAffine(
            image, np.float32([[1, 0, -96], [0, 1, 20]]), (640, 360), borderMode=cv2.BORDER_REFLECT
        )
        for image in live[10:]
    ]
    changes = run(health, turned, start=10)
    assert [(c.fault, c.active) for c in changes] == [("moved", True)]
    assert changes[0].measures["moved_shift"] > PARAMS.moved_shift


def test_a_new_session_keeps_a_raised_fault_until_the_picture_is_normal_again() -> None:
    health = PictureHealth(PARAMS)
    run(health, list(key_frames(Scene.COVERED, 40)))
    health.restart()
    assert run(health, list(key_frames(Scene.COVERED, 40))[20:30]) == []
    assert health.faults == ["covered"]
