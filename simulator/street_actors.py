"""What moves in a parametric street scene, simulated before anything is drawn.

Cars follow the car ahead in their lane (never closer than a gap) and stop behind an
obstacle, so a stopped car builds a real queue; the parking car turns into the kerb
strip and stays; the wrong-way car ignores the lane. Walkers cross the pavement; one may
carry a bag and leave it. Fire and smoke are drawn from their own small state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from simulator.street_scene import StreetSpec

Image = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]
Floats = npt.NDArray[np.float64]

PLAIN: tuple[Colour, ...] = (
    (225, 228, 232),
    (40, 42, 48),
    (120, 124, 130),
    (50, 80, 150),
    (175, 180, 185),
    (30, 90, 70),
    (150, 140, 110),
)
WARM: tuple[Colour, ...] = ((200, 25, 25), (240, 125, 20), (225, 60, 30))


@dataclass
class Car:
    """One vehicle's path: left edge ``x`` and ``bottom`` per frame, visible where set."""

    length: float
    height: float
    colour: Colour
    heading: int
    x: Floats
    bottom: Floats
    visible: npt.NDArray[np.bool_]
    role: str = "traffic"
    parked_at: float | None = None
    """Seconds at which the parking car came to rest at the kerb (None: it never did)."""

    def on(self, i: int) -> bool:
        """True when the car is in the picture in frame ``i``."""
        return bool(self.visible[i])


@dataclass
class Walker:
    """A person on the pavement: x per frame, foot line, look."""

    x: Floats
    y: float
    height: float
    colour: Colour
    width: int = 4
    phase: float = 0.0
    bag: Bag | None = None


@dataclass
class Bag:
    """A bag carried by a walker; left at ``(x, y)`` at ``dropped_at`` (or never)."""

    x: float
    y: float
    size: tuple[int, int]
    colour: Colour
    dropped_at: float | None = None


@dataclass
class Fire:
    """A flame at a shop front."""

    x: float
    base: float
    width: float
    height: float
    flicker: list[tuple[float, float]]
    puffs: list[list[float]] = field(default_factory=list)


@dataclass
class Plume:
    """Smoke without flame, rising from a source and drifting with the wind."""

    x: float
    y: float
    rise: float
    wind: float
    grey: int
    density: float
    spread: float
    puffs: list[list[float]] = field(default_factory=list)

    def draw(self, img: Image, seconds: float, fps: int, rng: np.random.Generator) -> None:
        """Emit and age puffs, then wash them over ``img``."""
        h, w = img.shape[:2]
        grow = min(1.0, 0.3 + seconds / 6.0)
        if rng.random() < 4.0 / fps:  # a few billows a second, each its own size
            radius = (5.0 + 6.0 * grow) * float(rng.uniform(0.7, 1.4)) * w / 640
            strength = self.density * grow * float(rng.uniform(0.7, 1.1))
            self.puffs.append([self.x + float(rng.normal(0, 4)), self.y, radius, 0.0, strength])
        wash(img, self.puffs, fps, (self.wind, -self.rise), self.spread, self.grey, 3.0 * h / 360)


@dataclass
class Actors:
    """Everything simulated for one clip."""

    cars: list[Car]
    walkers: list[Walker]
    bags: list[Bag]
    fire: Fire
    smoke: Plume
    beacon: tuple[float, float, float, float]
    """x, y, flash frequency (Hz), duty cycle."""
    events: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Ground-truth event intervals the simulation itself decided (e.g. when a car stopped)."""


def wash(
    img: Image,
    puffs: list[list[float]],
    fps: int,
    velocity: tuple[float, float],
    spread: float,
    grey: int,
    blur: float,
) -> None:
    """Advance puffs ``[x, y, radius, age_s, strength]`` one frame and blend them in grey."""
    h, w = img.shape[:2]
    density = np.zeros((h, w), np.float32)
    alive = []
    for puff in puffs:
        puff[3] += 1.0 / fps
        puff[0] += velocity[0] / fps
        puff[1] += velocity[1] / fps
        puff[2] += spread / fps
        fade = puff[4] * max(0.0, 1.0 - puff[3] / 7.0)
        if fade > 0.01 and puff[1] + puff[2] > 0:
            alive.append(puff)
            cv2.circle(density, (int(puff[0]), int(puff[1])), int(puff[2]), fade, -1)
    puffs[:] = alive
    density = np.minimum(cv2.GaussianBlur(density, (0, 0), blur), 0.8)[..., None]
    img[:] = (img * (1 - density) + np.float32(grey) * density).astype(np.uint8)


def simulate(spec: StreetSpec, rng: np.random.Generator, count: int) -> Actors:
    """Trajectories of everything in the scene, frame by frame."""
    w, h = spec.size
    dt = 1.0 / spec.fps
    lane_a = _follow(spec, count, heading=-1, planned=_arrivals(spec, rng, lane=0))
    lane_b = _arrivals(spec, rng, lane=1)  # moved below, with the parking car among them
    cars = lane_a
    events: dict[str, tuple[float, float]] = {}
    if spec.wrong_way_at is not None:
        car = _car(rng, spec, heading=-1, bottom=0.855 * h, colour=PLAIN[int(rng.integers(4))])
        car.role = "wrong_way"
        _drive(car, count, dt, w, spec.wrong_way_at, float(np.mean(spec.speed)) * w)
        cars.append(car)
        shown = np.nonzero(car.visible)[0]
        events["traffic.wrong_way"] = (shown[0] * dt, shown[-1] * dt)
    parking = None
    if spec.park_at is not None:
        parking = _car(rng, spec, heading=1, bottom=0.855 * h, colour=PLAIN[int(rng.integers(7))])
        parking.role = "parking"
        speed = float(np.mean(spec.speed)) * w * 0.8
        lane_b.append((parking, speed, round(spec.park_at * spec.fps)))
        lane_b.sort(key=lambda planned: planned[2])  # stable: the parking car after a tie
    cars = cars + _follow(spec, count, heading=1, planned=lane_b)
    if parking is not None:
        stop = parking.parked_at if parking.parked_at is not None else spec.seconds
        events["traffic.illegal_parking"] = (stop, spec.seconds)
    if spec.jam is not None:
        events["traffic.congestion"] = spec.jam
    walkers = [_walker(spec, rng, count) for _ in range(spec.walkers)]
    if spec.red_person:
        red = _walker(spec, rng, count)
        red.colour, red.width, red.height = (215, 30, 35), 6, 0.1 * h
        walkers.append(red)
    bags = []
    for at, leaves in ((spec.dump_at, True), (spec.pause_at, False)):
        if at is None:
            continue
        walker, bag = _carrier(spec, rng, count, at, leaves)
        walkers.append(walker)
        bags.append(bag)
        if leaves:
            events["sanitation.dumping"] = (at, spec.seconds)
    fire = Fire(
        x=w * float(rng.uniform(0.2, 0.8)),
        base=0.5 * h - 2,
        width=w * float(rng.uniform(0.08, 0.14)),
        height=h * float(rng.uniform(0.22, 0.34)),
        flicker=[(float(rng.uniform(2.5, 7)), float(rng.uniform(0, 6.3))) for _ in range(9)],
    )
    smoke = Plume(
        x=w * float(rng.uniform(0.2, 0.8)),
        y=h * float(rng.uniform(0.2, 0.42)),
        rise=h * float(rng.uniform(0.05, 0.1)),
        wind=w * float(rng.uniform(-0.02, 0.02)),
        grey=int(rng.integers(140, 215)),
        density=float(rng.uniform(0.4, 0.65)),
        spread=float(rng.uniform(3, 7)) * w / 640,
    )
    beacon = (w * float(rng.uniform(0.1, 0.9)), h * 0.42, float(rng.uniform(1.0, 2.5)), 0.5)
    return Actors(cars, walkers, bags, fire, smoke, beacon, events)


def _car(
    rng: np.random.Generator, spec: StreetSpec, heading: int, bottom: float, colour: Colour
) -> Car:
    w, h = spec.size
    n = max(1, round(spec.seconds * spec.fps))
    return Car(
        length=w * float(rng.uniform(0.13, 0.19)),
        height=h * float(rng.uniform(0.072, 0.094)),
        colour=colour,
        heading=heading,
        x=np.zeros(n),
        bottom=np.full(n, bottom),
        visible=np.zeros(n, bool),
    )


Planned = tuple[Car, float, int]
"""A car of a lane, its speed (pixels per second) and the frame it arrives at."""


def _arrivals(spec: StreetSpec, rng: np.random.Generator, lane: int) -> list[Planned]:
    """The cars of one lane arriving at random: who, how fast and when (nothing moves yet)."""
    w, h = spec.size
    heading = -1 if lane == 0 else 1
    bottom = (0.715 if lane == 0 else 0.855) * h
    palette = PLAIN + (WARM if spec.red_cars else ())
    rate = spec.cars_per_min[lane] / 60.0
    arrivals, t = [], float(rng.exponential(1 / rate)) if rate > 0 else spec.seconds
    while t < spec.seconds - 1.0:
        arrivals.append(t)
        t += max(1.2, float(rng.exponential(1 / rate)))
    planned = []
    for arrival in arrivals:
        car = _car(rng, spec, heading, bottom, palette[int(rng.integers(len(palette)))])
        planned.append((car, float(rng.uniform(*spec.speed)) * w, round(arrival * spec.fps)))
    return planned


def _follow(spec: StreetSpec, count: int, heading: int, planned: list[Planned]) -> list[Car]:
    """Drive one lane's cars in order of arrival, each kept a gap behind every car still in
    the lane ahead of it.

    A car arriving while the one ahead still blocks the lane's end never drives in, and is
    no one's car ahead: the next would drive through the queue (two cars in one place,
    counted twice by the truth and seen once in any picture). The parking car drives in
    the lane like any other until it has pulled over to the kerb, and waits at the lane's
    end for room to drive in: a car that followed no one behind it, or that it ignored,
    would drive through it.
    """
    w, h = spec.size
    dt = 1.0 / spec.fps
    gap = 0.02 * w
    stop_x = w * 0.08 if heading < 0 else None  # the jam's lead obstacle, lane A only
    cars: list[Car] = []
    for car, v, start in planned:
        # Every car still in the lane ahead (a parked one has left it) bounds this one.
        bound = np.full(count, np.inf if heading > 0 else -np.inf)
        for ahead in cars:
            in_lane = ahead.visible & (ahead.bottom < 0.855 * h + ahead.height)
            if heading > 0:
                bound = np.where(in_lane, np.minimum(bound, ahead.x - gap - car.length), bound)
            else:
                bound = np.where(in_lane, np.maximum(bound, ahead.x + ahead.length + gap), bound)
        if car.role == "parking":
            target = w * float(np.mean(spec.park_x)) - car.length / 2
            _park(car, count, dt, h, v, start, bound, target)
        else:
            _drive_following(car, count, dt, w, v, start, bound, spec.jam, stop_x)
        if car.visible.any():  # one that found the lane's end blocked never drove in
            cars.append(car)
    return cars


def _drive_following(
    car: Car,
    count: int,
    dt: float,
    w: int,
    v: float,
    start: int,
    bound: Floats,
    jam: tuple[float, float] | None,
    stop_x: float | None,
) -> None:
    heading = car.heading
    x = -car.length if heading > 0 else float(w)
    for i in range(start, count):
        t = i * dt
        x_next = x + heading * v * dt
        jammed = jam is not None and jam[0] <= t < jam[1]
        if jammed and stop_x is not None and x >= stop_x - 1:  # not yet past the obstacle
            x_next = max(x_next, stop_x)
        x_next = min(x_next, bound[i]) if heading > 0 else max(x_next, bound[i])
        x = x_next
        if x > w + 1 or x + car.length < -1:
            break
        car.x[i], car.visible[i] = x, True


def _drive(car: Car, count: int, dt: float, w: int, start_s: float, speed: float) -> None:
    x = float(w) if car.heading < 0 else -car.length
    for i in range(round(start_s / dt), count):
        x += car.heading * speed * dt
        if x > w + 1 or x + car.length < -1:
            break
        car.x[i], car.visible[i] = x, True


KERB = 0.975
"""Bottom of a car parked in the kerb strip, as a share of the picture's height."""


def _park(
    car: Car,
    count: int,
    dt: float,
    h: int,
    speed: float,
    start: int,
    bound: Floats,
    target: float,
) -> None:
    """Drive in lane B behind whoever is ahead, turn into the kerb strip inside the
    no-parking range, stop there. It waits at the lane's end until there is room."""
    x, y = -car.length, 0.855 * h
    entered = False
    for i in range(start, count):
        room = bound[i]
        if not entered and room < x:
            continue  # the lane's end is blocked: it drives in later
        entered = True
        if x < target:
            x = min(target, x + speed * dt, max(x, room))
            if target - x < 1.5 * speed:  # the last 1.5 s: pull over
                y = min(KERB * h, y + (0.12 * h) / 1.2 * dt)
        else:
            y = min(KERB * h, y + (0.12 * h) / 1.2 * dt)
            if y >= KERB * h and car.parked_at is None:
                car.parked_at = i * dt
        car.x[i], car.bottom[i], car.visible[i] = x, y, True


def _walker(spec: StreetSpec, rng: np.random.Generator, count: int) -> Walker:
    w, h = spec.size
    speed = float(rng.uniform(0.02, 0.05)) * w * float(rng.choice([-1, 1]))
    x0 = float(rng.uniform(0, w))
    t = np.arange(count) / spec.fps
    return Walker(
        x=(x0 + speed * t) % w,
        y=h * float(rng.uniform(0.535, 0.575)),
        height=h * float(rng.uniform(0.075, 0.095)),
        colour=tuple(int(c) for c in rng.integers(20, 110, 3)),  # type: ignore[arg-type]
        phase=float(rng.uniform(0, 6.3)),
    )


def _carrier(
    spec: StreetSpec, rng: np.random.Generator, count: int, at: float, leaves: bool
) -> tuple[Walker, Bag]:
    """Someone walking into the sanitation zone with a bag, pausing at ``at`` for 2-5 s."""
    w, h = spec.size
    speed = float(rng.uniform(0.025, 0.04)) * w
    stop_x = w * float(rng.uniform(spec.zone_x[0] + 0.08, spec.zone_x[1] - 0.08))
    pause = float(rng.uniform(2.0, 5.0))
    t = np.arange(count) / spec.fps
    walk_in = stop_x - speed * (at - t)
    walk_on = stop_x + speed * (t - at - pause)
    x = np.where(t < at, walk_in, np.where(t < at + pause, stop_x, walk_on))
    y = h * 0.565
    size = (int(w * float(rng.uniform(0.035, 0.05))), int(h * float(rng.uniform(0.045, 0.06))))
    colour: Colour = ((25, 25, 30), (40, 70, 150), (230, 230, 225))[int(rng.integers(3))]
    bag = Bag(x=stop_x + 8, y=y, size=size, colour=colour, dropped_at=at if leaves else None)
    walker = Walker(x=x, y=y, height=h * 0.09, colour=(60, 60, 70), phase=0.0, bag=bag)
    return walker, bag


# -- drawing ----------------------------------------------------------------------------------
