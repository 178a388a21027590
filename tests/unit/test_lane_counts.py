"""Counting along a lane's axis (detectors.lane_counts) on hand-drawn foreground masks."""

import numpy as np

from detectors.lane_counts import LaneLineCounter

LANE = np.ones((20, 300), bool)
"""A lane 300 pixels long and 20 wide, driven left to right; the line at x = 150."""


def counter() -> LaneLineCounter:
    return LaneLineCounter(LANE, (1.0, 0.0), (150.0, 10.0))


def foreground(*stretches: tuple[int, int]) -> np.ndarray:
    mask = np.zeros_like(LANE)
    for start, end in stretches:
        mask[:, max(0, start) : max(0, end)] = True
    return mask


def test_close_followers_merged_into_one_stretch_over_the_line_are_counted_twice() -> None:
    lane = counter()
    for k in range(24):
        front = 60 + 10 * k
        gap = 0 if 3 <= k < 16 else 10  # bumper to bumper while both cross the line
        follower = front - 40 - gap
        lane.update(foreground((front, front + 40), (follower, follower + 40)), 0.2 * k)
    assert lane.count == 2


def test_a_short_piece_driving_right_behind_a_counted_car_is_not_a_second_car() -> None:
    lane = counter()
    for k in range(20):
        front = 10 + 10 * k
        # a car and, 4 pixels behind it, a piece shorter than the lane is wide (its tail
        # light and dark body behind a light cone at night)
        lane.update(foreground((front, front + 40), (front - 16, front - 4)), 0.2 * k)
    assert lane.count == 1


def test_a_car_whose_stretch_grows_behind_it_is_counted_once() -> None:
    lane = counter()
    for k in range(20):
        front = 10 + 10 * k
        tail = 40 + (15 if k % 3 == 0 else 0)  # its run flickers at the back
        lane.update(foreground((front, front + 40), (front - tail, front)), 0.2 * k)
    assert lane.count == 1


def test_cars_far_apart_are_each_counted() -> None:
    lane = counter()
    for k in range(50):
        cars = [(x, x + 40) for x in (10 * k - 300, 10 * k - 150, 10 * k)]
        lane.update(foreground(*cars), 0.2 * k)
    assert lane.count == 3


def test_a_light_cone_driving_ahead_of_its_car_at_its_speed_is_not_a_second_car() -> None:
    lane = counter()
    for k in range(30):
        body = 10 * k - 40
        # at night the cone's thin end is too faint for the foreground: its bright far end
        # is a short stretch 12 pixels ahead of the car's body, moving with it
        lane.update(foreground((body, body + 40), (body + 52, body + 76)), 0.2 * k, dark=True)
    assert lane.count == 1


def test_a_dark_car_seen_only_by_its_light_cone_is_counted() -> None:
    lane = counter()
    for k in range(30):
        cone = 10 * k - 20
        lane.update(foreground((cone, cone + 24)), 0.2 * k, dark=True)
    assert lane.count == 1


def test_a_short_car_behind_a_faster_one_is_counted() -> None:
    lane = counter()
    for k in range(40):
        lead, short = 14 * k + 40, 8 * k - 20  # two speeds: not one rigid vehicle
        lane.update(foreground((lead, lead + 40), (short, short + 26)), 0.2 * k, dark=True)
    assert lane.count == 2


def test_a_car_first_seen_in_pieces_past_the_line_is_counted_by_its_rear_piece() -> None:
    lane = counter()
    for k in range(16):
        front = 150 + 8 * k  # appears on the line (a dark car at dusk): never counted
        rear = front - 24
        stretches = [(front, front + 22)] + ([(rear, rear + 16)] if k >= 1 else [])
        lane.update(foreground(*stretches), 0.2 * k, dark=True)
    assert lane.count == 1


def test_a_car_that_comes_apart_at_its_light_cone_is_counted_once() -> None:
    lane = counter()
    for k in range(30):
        back = 10 * k - 60
        if back < 40:  # body and cone one stretch while the car drives in
            lane.update(foreground((back, back + 100)), 0.2 * k, dark=True)
        else:  # the cone's thin end fades: body and cone touch, one pixel apart
            lane.update(foreground((back, back + 50), (back + 51, back + 100)), 0.2 * k, dark=True)
    assert lane.count == 1


def test_a_car_first_seen_inside_the_lane_behind_another_is_counted() -> None:
    lane = counter()
    for k in range(34):
        lead = 10 * k
        stretches = [(lead, lead + 50)]
        if k >= 8:  # a dark car, first seen mid-lane, keeping a gap to the car ahead
            stretches.append((lead - 54, lead - 20))
        lane.update(foreground(*stretches), 0.2 * k, dark=True)
    assert lane.count == 2


def test_by_daylight_a_short_run_riding_close_behind_a_car_is_a_car_of_its_own() -> None:
    lane = counter()
    for k in range(30):
        body = 10 * k - 40
        # a grey car on a grey road seen in part, close behind another at its speed
        lane.update(foreground((body + 52, body + 92), (body, body + 24)), 0.2 * k)
    assert lane.count == 2


def test_a_car_whose_centre_passes_the_line_in_the_last_frame_is_counted() -> None:
    lane = counter()
    for k in range(12):
        back = 10 * k + 22  # the last frame has its centre 2 pixels past the line
        lane.update(foreground((back, back + 40)), 0.2 * k)
    assert lane.count == 1


def test_a_dark_body_seen_again_in_part_behind_its_counted_light_cone_is_not_counted() -> None:
    # Stretches of a dark car at night (dev seed 80000, fire at night): one run, then the
    # cone (counted) and the body apart; the body shrinks to its front, is lost for two
    # frames and comes back in part: two of its steps are far from the car's speed.
    frames = [[(3 + 8 * k, 105 + 8 * k)] for k in range(11)]
    frames += [[(137, 192), (91, 134)], [(145, 200), (97, 140)], [(158, 208), (121, 148)]]
    frames += [[(166, 216)], [(174, 224)]]
    frames += [[(181 + 8 * k, 231 + 8 * k), (147 + 8 * k, 174 + 8 * k)] for k in range(8)]
    lane = counter()
    for k, stretches in enumerate(frames):
        lane.update(foreground(*stretches), 0.2 * k, dark=True)
    assert lane.count == 1
