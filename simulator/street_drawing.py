"""Drawing the street's actors (cars, walkers, bags, beacons, fire) onto a frame."""

from __future__ import annotations

import math

import cv2
import numpy as np

from simulator.street_actors import Car, Colour, Fire, Image, Walker, wash


def draw_car(img: Image, car: Car, i: int, night: bool) -> None:
    """A side view of a car; lights at night."""
    x, y = int(car.x[i]), int(car.bottom[i])
    ln, ht = int(car.length), int(car.height)
    body = car.colour if not night else tuple(c // 5 for c in car.colour)
    cv2.rectangle(img, (x, y - ht), (x + ln, y - 8), body, -1)
    cv2.rectangle(img, (x + ln // 5, y - ht - 14), (x + ln * 3 // 4, y - ht), body, -1)
    glass = (20, 22, 30) if night else (70, 90, 110)
    cv2.rectangle(img, (x + ln // 5 + 4, y - ht - 11), (x + ln * 3 // 4 - 4, y - ht), glass, -1)
    for wx in (x + ln // 5, x + ln * 4 // 5):
        cv2.circle(img, (wx, y - 6), 8, (15, 15, 15), -1)
    if night:
        front, rear = (x + ln, x) if car.heading > 0 else (x, x + ln)
        cv2.circle(img, (front, y - ht + 10), 5, (255, 250, 225), -1)
        cv2.circle(img, (rear, y - ht + 10), 4, (255, 30, 20), -1)
        tip = front + (90 if car.heading > 0 else -90)
        cone = np.array([[front, y - ht + 7], [tip, y - 2], [tip, y - ht - 4]], np.int32)
        cv2.fillPoly(img, [cone], (120, 118, 100), lineType=cv2.LINE_AA)


def draw_walker(img: Image, walker: Walker, i: int, t: float, night: bool) -> None:
    """A stick figure with a body; carries its bag until it drops it."""
    x, y, ht = int(walker.x[i]), int(walker.y), int(walker.height)
    colour = walker.colour if not night else tuple(c // 4 for c in walker.colour)
    moving = i == 0 or walker.x[i] != walker.x[i - 1]
    swing = int(5 * math.sin(walker.phase + i * 0.6)) if moving else 0
    cv2.line(img, (x, y - ht // 3), (x - swing, y), colour, 3)
    cv2.line(img, (x, y - ht // 3), (x + swing, y), colour, 3)
    cv2.rectangle(img, (x - walker.width, y - ht + 6), (x + walker.width, y - ht // 3), colour, -1)
    cv2.circle(img, (x, y - ht + 2), 4, (60, 48, 40) if night else (215, 180, 150), -1)
    bag = walker.bag
    if bag is not None and (bag.dropped_at is None or t < bag.dropped_at):
        draw_bag(img, x + 8, y - ht // 3 + bag.size[1], bag.size, bag.colour, night)


def draw_bag(
    img: Image, x: float, y: float, size: tuple[int, int], colour: Colour, night: bool
) -> None:
    """A tied rubbish bag standing on the ground at (x, y)."""
    bw, bh = size
    fill = colour if not night else tuple(c // 4 for c in colour)
    cv2.ellipse(img, (int(x + bw / 2), int(y - bh / 2)), (bw // 2, bh // 2), 0, 0, 360, fill, -1)
    cv2.line(img, (int(x + bw / 2), int(y - bh)), (int(x + bw / 2), int(y - bh - 4)), fill, 2)


def draw_beacon(img: Image, beacon: tuple[float, float, float, float], t: float) -> None:
    """An amber flashing beacon on a pole (road works, a tow truck): on, off, on."""
    x, y, freq, duty = beacon
    cv2.line(img, (int(x), int(y)), (int(x), int(img.shape[0] * 0.58)), (70, 70, 70), 3)
    if (t * freq) % 1.0 < duty:
        glow = np.zeros(img.shape[:2], np.float32)
        cv2.circle(glow, (int(x), int(y)), 7, 1.0, -1)
        glow = cv2.GaussianBlur(glow, (0, 0), 4) * 0.8 + glow * 0.2
        lit = img.astype(np.float32) + glow[..., None] * np.array((255, 170, 20), np.float32)
        img[:] = np.clip(lit, 0, 255).astype(np.uint8)
    else:
        cv2.circle(img, (int(x), int(y)), 6, (120, 80, 20), -1)


def draw_fire(img: Image, fire: Fire, seconds: float, rng: np.random.Generator, fps: int) -> None:
    """A flame at a shop front: white-yellow core, orange and red edges, flicker, smoke."""
    h = img.shape[0]
    grow = min(1.0, 0.3 + seconds / 8.0)
    fw, fh = fire.width * grow, fire.height * grow
    if rng.random() < 5.0 / fps:
        fire.puffs.append(
            [fire.x + float(rng.normal(0, fw * 0.2)), fire.base - fh * 0.8, fw * 0.3 + 3, 0.0, 0.6]
        )
    wash(img, fire.puffs, fps, (8.0, -0.07 * h), 12.0, 118, 5.0)
    intensity = 0.85 + 0.15 * math.sin(seconds * 2 * math.pi * 4.3)
    layers: tuple[tuple[float, Colour], ...] = (
        (1.0, (205, 40, 12)),
        (0.8, (250, 110, 15)),
        (0.58, (255, 185, 40)),
        (0.33, (255, 245, 200)),
    )
    for scale, colour in layers:
        n = len(fire.flicker)
        points = [(fire.x - fw * scale / 2, fire.base)]
        for k, (freq, phase) in enumerate(fire.flicker):
            u = (k + 0.5) / n
            flick = 0.55 + 0.45 * math.sin(2 * math.pi * freq * seconds + phase)
            tip = fh * scale * math.sin(math.pi * u) ** 0.7 * (0.6 + 0.4 * flick)
            tip *= 1.0 if k % 2 else 0.7
            sway = fw * 0.08 * math.sin(2 * math.pi * 1.3 * seconds + phase)
            points.append((fire.x - fw * scale / 2 + u * fw * scale + sway, fire.base - tip))
        points.append((fire.x + fw * scale / 2, fire.base))
        tint = tuple(min(255, int(c * (intensity if c < 250 else 1.0))) for c in colour)
        cv2.fillPoly(img, [np.array(points, np.int32)], tint, lineType=cv2.LINE_AA)
