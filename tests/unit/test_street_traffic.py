"""The simulated street's traffic: cars of a lane, the parking car among them, never share
a place (two cars in one place are counted twice by the truth and seen once in a picture)."""

from dataclasses import replace

import numpy as np
import pytest

from simulator.street_actors import KERB, Car, simulate
from simulator.street_scene import StreetSpec


def overlaps(cars: list[Car], h: float) -> list[tuple[int, int, int]]:
    """(frame, car, car) where two cars of lane B, both still in the lane, overlap."""
    found = []
    lane_b = [c for c in cars if c.heading > 0 and c.role != "wrong_way"]
    for i in range(len(lane_b[0].x)):
        here = [
            (k, c.x[i], c.x[i] + c.length)
            for k, c in enumerate(lane_b)
            if c.visible[i] and c.bottom[i] < 0.855 * h + c.height
        ]
        for a in range(len(here)):
            for b in range(a + 1, len(here)):
                if here[a][1] < here[b][2] and here[b][1] < here[a][2]:
                    found.append((i, here[a][0], here[b][0]))
    return found


@pytest.mark.parametrize("seed", range(12))
def test_the_parking_car_queues_in_its_lane_and_parks(seed: int) -> None:
    spec = StreetSpec(seed=seed, seconds=30.0, light="day", park_at=3.0, cars_per_min=(10.0, 24.0))
    count = round(spec.seconds * spec.fps)
    actors = simulate(spec, np.random.default_rng(seed), count)
    h = spec.size[1]
    assert overlaps(actors.cars, h) == [], "cars of lane B drove through one another"
    parking = next(c for c in actors.cars if c.role == "parking")
    assert parking.parked_at is not None and parking.bottom[-1] >= KERB * h
    assert actors.events["traffic.illegal_parking"] == (parking.parked_at, spec.seconds)


def test_without_a_parking_car_the_lane_is_as_before() -> None:
    """Following every car ahead, not only the last, changes nothing for plain traffic: a
    lane's cars never overtake."""
    spec = StreetSpec(seed=5, seconds=30.0, light="day", cars_per_min=(20.0, 20.0))
    count = round(spec.seconds * spec.fps)
    actors = simulate(spec, np.random.default_rng(5), count)
    assert overlaps(actors.cars, spec.size[1]) == []
    again = simulate(replace(spec), np.random.default_rng(5), count)
    assert all(np.array_equal(a.x, b.x) for a, b in zip(actors.cars, again.cars, strict=True))
