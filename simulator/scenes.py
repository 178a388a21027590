"""Synthetic street scenes drawn with numpy/cv2: what a simulated 天网 camera looks at.

Each frame is a pure function of the scene, size, frame rate, seed and frame index.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Colour = tuple[int, int, int]


class Scene(StrEnum):
    """What the synthetic camera looks at."""

    STREET = "street"
    """Daytime street: traffic (including a red and an orange car), walkers, a cloud shadow."""
    FIRE = "fire"
    """Daytime street where a shop front catches fire after 1–2 s, with smoke rising."""
    NIGHT = "night"
    """Night street: headlights, tail lights, sodium lamps and lit windows, one lamp flickering."""
    FROZEN = "frozen"
    """Daytime street whose picture freezes at 40 % of the clip (the encoder repeats one frame)."""
    COVERED = "covered"
    """Daytime street whose lens is covered at 40 % of the clip: dark, featureless, still noisy."""


@dataclass
class _Car:
    lane_y: int
    x: float
    speed: float  # pixels per frame; negative drives leftwards
    length: int
    height: int
    colour: Colour


@dataclass
class _Walker:
    y: int
    x: float
    speed: float
    height: int
    colour: Colour
    phase: float


@dataclass
class _Puff:
    x: float
    y: float
    radius: float
    age: int
    life: int
    vx: float
    vy: float


# Day cars never include red or orange in the FIRE scene, so its first frame holds no flame colour.
_PLAIN_CAR_COLOURS: tuple[Colour, ...] = (
    (225, 228, 232),
    (40, 42, 48),
    (120, 124, 130),
    (50, 80, 150),
    (175, 180, 185),
    (30, 90, 70),
)
_RED_CAR: Colour = (200, 25, 25)
_ORANGE_CAR: Colour = (240, 125, 20)


def _random_colour(rng: np.random.Generator, low: int, high: int) -> Colour:
    r, g, b = (int(c) for c in rng.integers(low, high, 3))
    return (r, g, b)


class _Street:
    """A front view across a street: buildings, pavement, two traffic lanes."""

    def __init__(self, scene: Scene, size: tuple[int, int], fps: int, seed: int) -> None:
        self.scene = scene
        self.width, self.height = size
        self.fps = fps
        self.rng = np.random.default_rng([seed, list(Scene).index(scene)])
        self.night = scene is Scene.NIGHT
        self.base_y = int(self.height * 0.55)  # foot of the buildings
        self.background = self._draw_background()
        self.lamp_glow = self._lamp_glow() if self.night else None
        self.cars = self._make_cars()
        self.walkers = self._make_walkers()
        self.fire_start = float(self.rng.uniform(1.0, 2.0)) * fps
        self.fire_x = int(self.width * float(self.rng.uniform(0.3, 0.65)))
        self.flicker = [
            (float(self.rng.uniform(2.5, 6.0)), float(self.rng.uniform(0, 2 * math.pi)))
            for _ in range(9)
        ]
        self.puffs: list[_Puff] = []
        ys, xs = np.mgrid[0 : self.height, 0 : self.width].astype(np.float32)
        self._xs, self._ys = xs, ys

    # -- static parts ------------------------------------------------------------------------

    def _draw_background(self) -> Image:
        w, h, rng = self.width, self.height, self.rng
        img = np.zeros((h, w, 3), np.uint8)
        top = np.array((8, 10, 24) if self.night else (150, 185, 220), np.float32)
        low = np.array((20, 22, 40) if self.night else (200, 215, 230), np.float32)
        t = np.linspace(0.0, 1.0, self.base_y, dtype=np.float32)[:, None]
        img[: self.base_y] = (top * (1 - t) + low * t).astype(np.uint8)[:, None, :]
        x = 0
        while x < w:
            bw = int(rng.integers(w // 8, w // 4))
            top_y = int(rng.integers(h // 12, h // 3))
            shade = int(rng.integers(22, 40) if self.night else rng.integers(105, 170))
            colour = _random_colour(rng, shade - 8, shade + 9)
            cv2.rectangle(img, (x, top_y), (x + bw - 2, self.base_y), colour, -1)
            self._draw_windows(img, x, top_y, bw)
            x += bw
        pavement = (35, 34, 34) if self.night else (160, 156, 150)
        road = (18, 18, 22) if self.night else (88, 88, 94)
        road_top, road_bottom = int(h * 0.63), int(h * 0.95)
        img[self.base_y : road_top] = pavement
        img[road_top:road_bottom] = road
        img[road_bottom:] = pavement
        mid = (road_top + road_bottom) // 2
        dash = (90, 90, 80) if self.night else (225, 225, 220)
        for dx in range(0, w, 60):
            cv2.rectangle(img, (dx, mid - 2), (dx + 30, mid + 2), dash, -1)
        return img

    def _draw_windows(self, img: Image, x: int, top_y: int, bw: int) -> None:
        for wy in range(top_y + 10, self.base_y - 30, 26):
            for wx in range(x + 8, x + bw - 20, 22):
                if self.night:
                    lit = self.rng.random() < 0.3
                    warm = self.rng.random() < 0.6
                    colour: Colour = (
                        ((235, 185, 95) if warm else (175, 195, 230)) if lit else (14, 15, 22)
                    )
                else:
                    g = int(self.rng.integers(60, 95))
                    colour = (g, g + 12, g + 25)
                cv2.rectangle(img, (wx, wy), (wx + 11, wy + 14), colour, -1)

    def _lamp_glow(self) -> npt.NDArray[np.float32]:
        """Sodium street lamps: amber heads and pools of light (路灯), additive, static."""
        glow = np.zeros((self.height, self.width, 3), np.float32)
        pole_top = int(self.height * 0.3)
        for lx in range(self.width // 10, self.width, self.width // 3):
            cv2.line(glow, (lx, self.base_y + 8), (lx, pole_top), (30, 30, 30), 2)
            blob = np.zeros((self.height, self.width), np.float32)
            cv2.circle(blob, (lx, pole_top), 5, 1.0, -1)
            cv2.ellipse(blob, (lx, int(self.height * 0.72)), (60, 22), 0, 0, 360, 0.3, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), 12) + cv2.GaussianBlur(blob, (0, 0), 2)
            glow += blob[..., None] * np.array((255, 165, 50), np.float32)
        return glow

    def _make_cars(self) -> list[_Car]:
        h, w, rng = self.height, self.width, self.rng
        colours = list(_PLAIN_CAR_COLOURS)
        if self.scene is Scene.STREET:
            colours = [_RED_CAR, _ORANGE_CAR, *colours]
        cars = []
        for i, colour in enumerate(colours[:6]):
            lane_y = int(h * (0.76 if i % 2 else 0.90))
            speed = float(rng.uniform(6, 14)) * (10 / self.fps) * (-1 if i % 2 else 1)
            car = _Car(
                lane_y=lane_y,
                x=float(rng.uniform(0, w * 2)),
                speed=speed,
                length=int(rng.integers(80, 120)),
                height=int(rng.integers(26, 34)),
                colour=colour,
            )
            cars.append(car)
        return cars

    def _make_walkers(self) -> list[_Walker]:
        rng = self.rng
        return [
            _Walker(
                int(self.height * float(rng.uniform(0.585, 0.62))),
                float(rng.uniform(0, self.width)),
                float(rng.uniform(0.6, 1.6)) * (10 / self.fps) * float(rng.choice([-1, 1])),
                int(rng.integers(26, 34)),
                _random_colour(rng, 20, 110),
                float(rng.uniform(0, 2 * math.pi)),
            )
            for _ in range(int(rng.integers(3, 6)))
        ]

    # -- moving parts -----------------------------------------------------------------------

    def frame(self, i: int) -> Image:
        """Draw frame ``i``; frames must be drawn in order (smoke has state)."""
        img = self.background.copy()
        for walker in self.walkers:
            self._draw_walker(img, walker, i)
        for car in self.cars:
            self._draw_car(img, car, i)
        if self.night:
            img = self._light_night(img, i)
        else:
            img = self._light_day(img, i)
            if self.scene is Scene.FIRE and i >= self.fire_start:
                self._draw_fire(img, (i - self.fire_start) / self.fps)
        noise = self.rng.integers(-3, 4, img.shape, dtype=np.int16)
        noisy: Image = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        return noisy

    def _draw_car(self, img: Image, car: _Car, i: int) -> None:
        span = self.width + 2 * car.length
        x = int((car.x + car.speed * i) % span) - car.length
        y, ln, ht = car.lane_y, car.length, car.height
        body = car.colour if not self.night else tuple(c // 5 for c in car.colour)
        cv2.rectangle(img, (x, y - ht), (x + ln, y - 8), body, -1)
        cv2.rectangle(img, (x + ln // 5, y - ht - 14), (x + ln * 3 // 4, y - ht), body, -1)
        glass = (20, 22, 30) if self.night else (70, 90, 110)
        cv2.rectangle(img, (x + ln // 5 + 4, y - ht - 11), (x + ln * 3 // 4 - 4, y - ht), glass, -1)
        for wx in (x + ln // 5, x + ln * 4 // 5):
            cv2.circle(img, (wx, y - 6), 8, (15, 15, 15), -1)
        if self.night:
            front, rear = (x + ln, x) if car.speed > 0 else (x, x + ln)
            cv2.circle(img, (front, y - ht + 10), 5, (255, 250, 225), -1)
            cv2.circle(img, (rear, y - ht + 10), 4, (255, 30, 20), -1)
            tip = front + (90 if car.speed > 0 else -90)
            cone = np.array([[front, y - ht + 7], [tip, y - 2], [tip, y - ht - 4]], np.int32)
            cv2.fillPoly(img, [cone], (120, 118, 100), lineType=cv2.LINE_AA)

    def _draw_walker(self, img: Image, walker: _Walker, i: int) -> None:
        x = int((walker.x + walker.speed * i) % self.width)
        y, ht = walker.y, walker.height
        colour = walker.colour if not self.night else tuple(c // 4 for c in walker.colour)
        swing = int(5 * math.sin(walker.phase + i * abs(walker.speed) * 0.5))
        cv2.line(img, (x, y - ht // 3), (x - swing, y), colour, 3)
        cv2.line(img, (x, y - ht // 3), (x + swing, y), colour, 3)
        cv2.rectangle(img, (x - 4, y - ht + 6), (x + 4, y - ht // 3), colour, -1)
        skin = (60, 48, 40) if self.night else (215, 180, 150)
        cv2.circle(img, (x, y - ht + 2), 4, skin, -1)

    def _light_day(self, img: Image, i: int) -> Image:
        """A cloud shadow drifting across and a slow change in overall light."""
        t = i / self.fps
        cx = (t * self.width / 12.0) % (self.width * 1.6) - self.width * 0.3
        shade = np.exp(-(((self._xs - cx) / (self.width * 0.18)) ** 2))
        gain = (1.0 + 0.06 * math.sin(2 * math.pi * t / 9.0)) - 0.22 * shade
        lit: Image = np.clip(img * gain[..., None], 0, 255).astype(np.uint8)
        return lit

    def _light_night(self, img: Image, i: int) -> Image:
        assert self.lamp_glow is not None
        out = img.astype(np.float32) + self.lamp_glow
        # One faulty lamp flickers at a few Hz, like flame would: 火焰 is more than its colour.
        pulse = 0.5 + 0.5 * math.sin(i / self.fps * 2 * math.pi * 3.7) * self.rng.uniform(0.4, 1)
        lx = self.width // 10
        cv2.circle(out, (lx, int(self.height * 0.3)), 7, (255 * pulse, 150 * pulse, 40), -1)
        lit: Image = np.clip(out, 0, 255).astype(np.uint8)
        return lit

    def _draw_fire(self, img: Image, seconds: float) -> None:
        """A flame at a shop front: white-yellow core, orange and red edges, flicker, smoke."""
        grow = min(1.0, 0.25 + seconds / 8.0)
        fw, fh = self.width * 0.13 * grow, self.height * 0.32 * grow
        x0, base = self.fire_x, self.base_y - 2
        self._draw_smoke(img, x0, base - fh * 0.8, fw)
        intensity = 0.85 + 0.15 * math.sin(seconds * 2 * math.pi * 4.3)
        layers: tuple[tuple[float, Colour], ...] = (
            (1.0, (205, 40, 12)),
            (0.8, (250, 110, 15)),
            (0.58, (255, 185, 40)),
            (0.33, (255, 245, 200)),
        )
        x_lo, x_hi = int(x0 - fw * 0.7), int(x0 + fw * 0.7)
        y_lo = int(base - fh * 1.25)
        roi = img[max(0, y_lo) : base + 4, max(0, x_lo) : x_hi].copy()
        for scale, colour in layers:
            points = self._flame_outline(x0, base, fw * scale, fh * scale, seconds)
            tinted = tuple(min(255, int(c * (intensity if c < 250 else 1.0))) for c in colour)
            cv2.fillPoly(img, [points], tinted, lineType=cv2.LINE_AA)
        region = img[max(0, y_lo) : base + 4, max(0, x_lo) : x_hi]
        if region.size:
            blurred = cv2.GaussianBlur(region, (0, 0), 1.5)
            # Keep the wall sharp where no flame was drawn.
            changed = np.any(region != roi, axis=2, keepdims=True)
            region[:] = np.where(changed, blurred, region)

    def _flame_outline(
        self, x0: float, base: float, fw: float, fh: float, seconds: float
    ) -> npt.NDArray[np.int32]:
        n = len(self.flicker)
        points = [(x0 - fw / 2, base)]
        for k, (freq, phase) in enumerate(self.flicker):
            u = (k + 0.5) / n
            envelope = math.sin(math.pi * u) ** 0.7
            flick = 0.55 + 0.45 * math.sin(2 * math.pi * freq * seconds + phase)
            tip = fh * envelope * (0.6 + 0.4 * flick) * (1.0 if k % 2 else 0.7)
            sway = fw * 0.08 * math.sin(2 * math.pi * 1.3 * seconds + phase)
            points.append((x0 - fw / 2 + u * fw + sway, base - tip))
        points.append((x0 + fw / 2, base))
        return np.array(points, np.int32)

    def _draw_smoke(self, img: Image, x0: float, top: float, fw: float) -> None:
        rng = self.rng
        for _ in range(2):
            puff = _Puff(
                x=x0 + float(rng.normal(0, fw * 0.2)),
                y=top,
                radius=fw * 0.35 + 3,
                age=0,
                life=int(rng.integers(25, 40)),
                vx=float(rng.normal(0.8, 0.4)),  # a light wind
                vy=-float(rng.uniform(2.0, 3.5)),
            )
            self.puffs.append(puff)
        density = np.zeros((self.height, self.width), np.float32)
        alive = []
        for puff in self.puffs:
            puff.age += 1
            puff.x += puff.vx * 10 / self.fps
            puff.y += puff.vy * 10 / self.fps
            puff.radius += 1.2 * 10 / self.fps
            if puff.age < puff.life and puff.y + puff.radius > 0:
                alive.append(puff)
                strength = 0.55 * (1 - puff.age / puff.life)
                centre = (int(puff.x), int(puff.y))
                cv2.circle(density, centre, int(puff.radius), strength, -1)
        self.puffs = alive
        density = np.minimum(cv2.GaussianBlur(density, (0, 0), 5), 0.75)[..., None]
        grey = np.array((118, 118, 122), np.float32)
        img[:] = (img * (1 - density) + grey * density).astype(np.uint8)


FAULT_SHARE = 0.4
"""Where in a FROZEN or COVERED clip the camera's fault starts, as a share of its frames."""


def _covered(img: Image, rng: np.random.Generator) -> Image:
    """What a lens under a hand or a cloth sees: a dim blur of the scene, plus sensor noise."""
    dim = cv2.GaussianBlur(img, (0, 0), 25).astype(np.int16) // 16
    noise = rng.integers(-3, 4, img.shape, dtype=np.int16)
    out: Image = np.clip(dim + 6 + noise, 0, 255).astype(np.uint8)
    return out


def frames(scene: Scene, count: int, fps: int, size: tuple[int, int], seed: int) -> Iterator[Image]:
    street = _Street(scene, size, fps, seed)
    fault_at = int(count * FAULT_SHARE)
    held: Image | None = None
    for i in range(count):
        if scene is Scene.FROZEN and i >= fault_at:
            held = street.frame(i) if held is None else held
            yield held
        elif scene is Scene.COVERED and i >= fault_at:
            yield _covered(street.frame(i), street.rng)
        else:
            yield street.frame(i)
