"""Traffic and sanitation detectors on pictures drawn here: cars on a road, a left bag."""

import cv2
import numpy as np

from detectors.analytics_config import AnalyticsConfig
from detectors.frame_api import Frame
from detectors.model import Finding
from detectors.sanitation import DumpingDetector
from detectors.traffic import TrafficDetector

H, W, FPS = 180, 320, 5.0
CONFIG = AnalyticsConfig.model_validate(
    {
        "zones": [
            {
                "name": "lane_east",
                "kind": "lane",
                "polygon": [[0, 0.55], [1, 0.55], [1, 0.85], [0, 0.85]],
                "direction": [1, 0],
                "dwell_s": 10,
            },
            {
                "name": "kerb",
                "kind": "no_parking",
                "polygon": [[0.5, 0.85], [1, 0.85], [1, 1], [0.5, 1]],
                "dwell_s": 8,
            },
            {
                "name": "bins",
                "kind": "sanitation",
                "polygon": [[0.2, 0.3], [0.6, 0.3], [0.6, 0.5], [0.2, 0.5]],
                "dwell_s": 8,
            },
        ],
        "lines": [{"name": "mid", "points": [[0.5, 0.55], [0.5, 0.85]]}],
    }
)


def street(rng: np.random.Generator) -> Frame:
    img = np.full((H, W, 3), (150, 150, 150), np.uint8)
    img[int(H * 0.55) : int(H * 0.85)] = (90, 90, 95)
    noise = rng.integers(-3, 4, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def car(img: Frame, x: float, y0: int = 110, colour: tuple[int, int, int] = (40, 60, 200)) -> Frame:
    out = img.copy()
    x0 = int(x)
    out[y0 : y0 + 22, max(0, x0) : max(0, min(W, x0 + 50))] = colour
    return out


def run(detector: TrafficDetector | DumpingDetector, frames: list[Frame]) -> list[Finding]:
    found = []
    for i, frame in enumerate(frames):
        t = i / FPS
        finding = detector.confirm(frame, t)
        if finding is not None:
            found.append(finding)
    return found


def test_a_car_crossing_the_line_is_counted_once_and_is_not_wrong_way() -> None:
    rng = np.random.default_rng(1)
    frames = [street(rng) for _ in range(10)]
    frames += [car(street(rng), -50 + 12 * i) for i in range(35)]
    frames += [street(rng) for _ in range(5)]
    detector = TrafficDetector(CONFIG)
    assert run(detector, frames) == []
    assert detector.counts == {"mid": 1}


def test_a_car_driving_against_the_lane_is_wrong_way() -> None:
    rng = np.random.default_rng(2)
    frames = [street(rng) for _ in range(10)]
    frames += [car(street(rng), W - 12 * i) for i in range(35)]
    found = run(TrafficDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["traffic.wrong_way"]
    assert found[0].zone == "lane_east"


def test_a_car_stopped_in_the_no_parking_zone_past_its_dwell_is_reported_once() -> None:
    rng = np.random.default_rng(3)
    frames = [street(rng) for _ in range(10)]
    frames += [car(street(rng), 200.0, y0=155) for _ in range(int(12 * FPS))]
    found = run(TrafficDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["traffic.illegal_parking"]
    assert found[0].zone == "kerb"
    assert found[0].attributes["stopped_s"] >= 8


def test_a_car_stopped_shorter_than_the_dwell_is_not_parking() -> None:
    rng = np.random.default_rng(4)
    frames = [street(rng) for _ in range(10)]
    frames += [car(street(rng), 200.0, y0=155) for _ in range(int(5 * FPS))]
    frames += [street(rng) for _ in range(int(8 * FPS))]
    assert run(TrafficDetector(CONFIG), frames) == []


def bag(img: Frame, x: int = 120, y: int = 70) -> Frame:
    out = img.copy()
    out[y : y + 9, x : x + 10] = (25, 25, 30)
    return out


def walker(img: Frame, x: float) -> Frame:
    out = img.copy()
    out[62:82, int(x) : int(x) + 4] = (60, 40, 30)
    return out


def test_a_bag_left_in_the_sanitation_zone_is_dumping_after_its_dwell() -> None:
    rng = np.random.default_rng(5)
    frames = [street(rng) for _ in range(10)]
    frames += [bag(street(rng)) for _ in range(int(12 * FPS))]
    found = run(DumpingDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["sanitation.dumping"]
    assert found[0].zone == "bins"
    assert found[0].attributes["static_s"] >= 8


def test_people_walking_through_the_sanitation_zone_are_not_dumping() -> None:
    rng = np.random.default_rng(6)
    frames = [street(rng) for _ in range(10)]
    frames += [walker(street(rng), (3 * i) % W) for i in range(int(20 * FPS))]
    assert run(DumpingDetector(CONFIG), frames) == []


def test_two_cars_following_close_behind_each_other_are_counted_twice() -> None:
    rng = np.random.default_rng(7)
    frames = [street(rng) for _ in range(10)]
    # Bumper to bumper, 6 px apart: one blob to a 2-D tracker, two vehicles along the lane.
    frames += [car(car(street(rng), -50 + 12 * i), -106 + 12 * i) for i in range(40)]
    frames += [street(rng) for _ in range(5)]
    detector = TrafficDetector(CONFIG)
    run(detector, frames)
    assert detector.counts == {"mid": 2}


def test_a_queue_standing_in_the_lane_past_its_dwell_is_congestion_once() -> None:
    rng = np.random.default_rng(8)
    frames = [street(rng) for _ in range(10)]
    queue = [10.0 + 56 * k for k in range(5)]  # five vans nose to tail, standing
    for _ in range(int(14 * FPS)):
        img = street(rng)
        for x in queue:
            img = car(car(img, x, y0=102), x, y0=122)
        frames.append(img)
    found = run(TrafficDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["traffic.congestion"]
    assert found[0].zone == "lane_east"


def test_free_flowing_traffic_is_not_congestion() -> None:
    rng = np.random.default_rng(9)
    frames = [street(rng) for _ in range(10)]
    for i in range(int(20 * FPS)):
        img = street(rng)
        for k in range(3):
            img = car(img, (12 * i + 110 * k) % (W + 50) - 50)
        frames.append(img)
    assert [f.kind for f in run(TrafficDetector(CONFIG), frames)] == []


def test_someone_standing_still_in_the_sanitation_zone_is_not_dumping() -> None:
    rng = np.random.default_rng(10)
    frames = [street(rng) for _ in range(10)]
    person = [walker(walker(street(rng), 130), 132) for _ in range(int(15 * FPS))]
    assert run(DumpingDetector(CONFIG), frames + person) == []


def test_the_ground_left_bare_by_someone_in_the_first_picture_is_not_dumping() -> None:
    rng = np.random.default_rng(11)
    first = [bag(street(rng)) for _ in range(2)]  # there when the camera started, then taken
    frames = first + [street(rng) for _ in range(int(15 * FPS))]
    assert run(DumpingDetector(CONFIG), frames) == []


def test_a_car_backing_up_a_few_metres_is_not_wrong_way() -> None:
    rng = np.random.default_rng(13)
    frames = [street(rng) for _ in range(10)]
    frames += [car(street(rng), 200.0 - 4 * min(i, 7)) for i in range(25)]  # 28 px back, stops
    assert [f.kind for f in run(TrafficDetector(CONFIG), frames)] == []


def night_street(rng: np.random.Generator) -> Frame:
    img = np.full((H, W, 3), (30, 28, 28), np.uint8)
    img[int(H * 0.55) : int(H * 0.85)] = (18, 18, 22)
    noise = rng.integers(-2, 3, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def light_cone(img: Frame, front: float, heading: int) -> Frame:
    """A dark car at night as the camera sees it: its headlight's cone on the road ahead
    (smaller than a vehicle blob), the body itself as dark as the asphalt."""
    out = img.copy()
    tip = front + 24 * heading
    cone = np.array([[front, 121], [tip, 131], [tip, 111]], np.int32)
    cv2.fillPoly(out, [cone], (100, 118, 120))
    return out


def test_a_dark_car_at_night_against_the_lane_is_wrong_way_by_its_light() -> None:
    rng = np.random.default_rng(14)
    frames = [night_street(rng) for _ in range(10)]
    frames += [light_cone(night_street(rng), W + 10 - 12 * i, -1) for i in range(30)]
    found = run(TrafficDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["traffic.wrong_way"]
    assert found[0].zone == "lane_east"


def test_a_dark_car_at_night_with_the_lane_is_not_wrong_way() -> None:
    rng = np.random.default_rng(15)
    frames = [night_street(rng) for _ in range(10)]
    frames += [light_cone(night_street(rng), -10 + 12 * i, 1) for i in range(30)]
    assert [f.kind for f in run(TrafficDetector(CONFIG), frames)] == []


def test_a_dark_car_at_night_and_its_light_cone_ahead_of_it_are_counted_once() -> None:
    rng = np.random.default_rng(16)
    frames = [night_street(rng) for _ in range(10)]
    for i in range(30):
        x = -60 + 12 * i  # a dark car's body, lit a little by the lamps
        body = car(night_street(rng), x, colour=(55, 55, 60))
        # its cone's thin end is lost in the dark: the bright far end rides 14 px ahead
        frames.append(light_cone(body, x + 50 + 14, 1))
    detector = TrafficDetector(CONFIG)
    run(detector, frames)
    assert detector.counts == {"mid": 1}


def test_the_roof_of_a_car_in_the_next_lane_is_not_wrong_way() -> None:
    # Two lanes, west-bound above east-bound; an east-bound car's roof reaches a third of
    # the way over the border into the west-bound lane as it drives by.
    two_lanes = AnalyticsConfig.model_validate(
        {
            "zones": [
                {
                    "name": "lane_west",
                    "kind": "lane",
                    "polygon": [[0, 0.4], [1, 0.4], [1, 0.55], [0, 0.55]],
                    "direction": [-1, 0],
                },
                {
                    "name": "lane_east",
                    "kind": "lane",
                    "polygon": [[0, 0.55], [1, 0.55], [1, 0.85], [0, 0.85]],
                    "direction": [1, 0],
                },
            ]
        }
    )
    rng = np.random.default_rng(3)
    frames = [street(rng) for _ in range(10)]
    tall = [car(car(street(rng), -50 + 12 * i, y0=90), -50 + 12 * i) for i in range(35)]
    found = run(TrafficDetector(two_lanes), frames + tall)
    assert [f.kind for f in found] == []


def test_a_wrong_way_car_meeting_a_car_going_the_right_way_is_wrong_way() -> None:
    # In one lane, a car drives in from the left the right way; another comes from the right
    # against it; they meet halfway (one stretch for a moment) and each goes on its way.
    rng = np.random.default_rng(4)
    frames = [street(rng) for _ in range(10)]
    frames += [
        car(car(street(rng), -50 + 8 * i, colour=(40, 60, 200)), W - 8 * i, colour=(200, 200, 60))
        for i in range(45)
    ]
    found = run(TrafficDetector(CONFIG), frames)
    assert [f.kind for f in found] == ["traffic.wrong_way"]
