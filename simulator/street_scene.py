"""Parametric street scenes with known events, for the labelled set (``simulator.labelled_set``).

Unlike ``simulator.scenes`` (three fixed demo scenes), a ``StreetSpec`` says what happens
and when: lighting (day, dusk, night, rain, sunset), traffic per lane with a simple
car-following rule (so a stopped car makes a queue), a car driving the wrong way, a car
parking at the kerb, someone dumping a bag, a fire or smoke without flame, and things
that fool detectors (an amber beacon, a person in red, red and orange cars). Trajectories
are simulated first, so the ground truth (events, line counts) comes from the same
numbers the pictures are drawn from.

Layout (fractions of the picture): buildings down to y 0.50, pavement 0.50-0.58, lane A
(traffic to the left) 0.58-0.72, lane B (to the right) 0.72-0.88, kerb strip 0.88-1.0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulator.street_actors import Actors, Car, simulate
from simulator.street_drawing import draw_bag, draw_beacon, draw_car, draw_fire, draw_walker
from simulator.street_light import Lighting

Image = npt.NDArray[np.uint8]

LANE_A_Y, LANE_B_Y, KERB_Y = 0.715, 0.855, 0.975
"""Bottom of a car (fraction of height) in lane A, lane B and parked at the kerb."""


@dataclass(frozen=True)
class StreetSpec:
    """Everything one labelled clip is made of; times in seconds."""

    seed: int
    seconds: float = 40.0
    fps: int = 25
    size: tuple[int, int] = (640, 360)
    light: str = "day"
    """day | dusk | night | rain | sunset"""
    cars_per_min: tuple[float, float] = (10.0, 10.0)
    """Arrival rate in lane A and lane B."""
    speed: tuple[float, float] = (0.10, 0.22)
    """Free speed range, picture widths per second."""
    red_cars: bool = True
    fire_at: float | None = None
    smoke_at: float | None = None
    """Smoke without flame (a smouldering roof or window)."""
    wrong_way_at: float | None = None
    park_at: float | None = None
    jam: tuple[float, float] | None = None
    """A stopped car holds lane A from the first to the second time: a queue builds."""
    dump_at: float | None = None
    pause_at: float | None = None
    """Someone stops in the sanitation zone with a bag and walks on with it (a negative)."""
    beacon: bool = False
    red_person: bool = False
    walkers: int = 4
    zone_x: tuple[float, float] = (0.35, 0.70)
    """Sanitation zone on the pavement, x range."""
    park_x: tuple[float, float] = (0.55, 0.95)
    """No-parking kerb, x range."""
    line_x: float = 0.5
    extra: dict[str, float] = field(default_factory=dict)


class StreetScene:
    """Draws the frames of one ``StreetSpec``; ``actors`` holds the simulated trajectories."""

    def __init__(self, spec: StreetSpec) -> None:
        self.spec = spec
        self.width, self.height = spec.size
        self.rng = np.random.default_rng(spec.seed)
        self.count = max(1, round(spec.seconds * spec.fps))
        self.actors: Actors = simulate(spec, self.rng, self.count)
        self.light = Lighting(spec.light, spec.size, self.rng)
        self.background = self.light.background()
        self._noise = [
            self.rng.integers(-3, 4, (self.height, self.width, 3), dtype=np.int16).astype(np.int8)
            for _ in range(6)
        ]

    def frame(self, i: int) -> Image:
        """Draw frame ``i`` (in order: smoke and fire keep state)."""
        spec, t = self.spec, i / self.spec.fps
        img = self.background.copy()
        night = self.light.dark
        for walker in self.actors.walkers:
            draw_walker(img, walker, i, t, night)
        for bag in self.actors.bags:
            if bag.dropped_at is not None and t >= bag.dropped_at:
                draw_bag(img, bag.x, bag.y, bag.size, bag.colour, night)
        cars: list[Car] = sorted(self.actors.cars, key=lambda c: c.bottom[i] if c.on(i) else 0)
        for car in cars:
            if car.on(i):
                draw_car(img, car, i, night)
        if spec.beacon:
            draw_beacon(img, self.actors.beacon, t)
        img = self.light.apply(img, i, spec.fps)
        if spec.fire_at is not None and t >= spec.fire_at:
            draw_fire(img, self.actors.fire, t - spec.fire_at, self.rng, spec.fps)
        if spec.smoke_at is not None and t >= spec.smoke_at:
            self.actors.smoke.draw(img, t - spec.smoke_at, spec.fps, self.rng)
        self.light.weather(img, i)
        noisy = img.astype(np.int16) + self._noise[int(self.rng.integers(len(self._noise)))]
        out: Image = np.clip(noisy, 0, 255).astype(np.uint8)
        return out

    def frames(self) -> Iterator[Image]:
        """Every frame of the clip, RGB."""
        for i in range(self.count):
            yield self.frame(i)


def line_count(actors: Actors, line_x: float, width: int, y_span: tuple[float, float]) -> int:
    """Vehicles whose centre crosses the vertical line at ``line_x`` within ``y_span`` (px)."""
    count = 0
    for car in actors.cars:
        idx = np.nonzero(car.visible)[0]
        if idx.size < 2:
            continue
        cx = car.x[idx] + car.length / 2
        cy = car.bottom[idx] - car.height / 2
        side = cx >= line_x * width
        inside = (cy >= y_span[0]) & (cy <= y_span[1])
        flips = np.nonzero(side[1:] != side[:-1])[0]
        if any(inside[k] or inside[k + 1] for k in flips):
            count += 1
    return count
