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
