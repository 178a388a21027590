"""Light and weather of a parametric street scene: the static street, then per-frame light.

``day`` has a cloud shadow drifting across; ``dusk`` darkens and cools over the clip;
``night`` has sodium lamps and lit windows (cars bring their own lights); ``rain`` is
grey and low-contrast with streaks; ``sunset`` has a warm sky, a low orange sun and a
warm cast over everything.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
LIGHTS = ("day", "dusk", "night", "rain", "sunset")


class Lighting:
    """The look of one clip; RGB throughout."""

    def __init__(self, light: str, size: tuple[int, int], rng: np.random.Generator) -> None:
        if light not in LIGHTS:
            raise ValueError(f"light must be one of {LIGHTS}, got {light!r}")
        self.light = light
        self.width, self.height = size
        self.rng = rng
        self.dark = light == "night"
        self.cloud_speed = float(rng.uniform(0.05, 0.12)) * self.width
        self._xs = np.arange(self.width, dtype=np.float32)
        self._lamps = self._sodium_lamps() if self.dark else None

    def background(self) -> Image:
        """Sky, buildings with windows, pavement, road with lane marks, kerb strip."""
        w, h, rng = self.width, self.height, self.rng
        base_y = int(h * 0.5)
        img = np.zeros((h, w, 3), np.uint8)
        top, low = {
            "day": ((150, 185, 220), (200, 215, 230)),
            "dusk": ((120, 140, 185), (185, 170, 165)),
            "night": ((8, 10, 24), (20, 22, 40)),
            "rain": ((135, 140, 146), (165, 168, 172)),
            "sunset": ((95, 85, 150), (255, 150, 70)),
        }[self.light]
        t = np.linspace(0.0, 1.0, base_y, dtype=np.float32)[:, None]
        sky = np.array(top, np.float32) * (1 - t) + np.array(low, np.float32) * t
        img[:base_y] = sky.astype(np.uint8)[:, None, :]
        if self.light == "sunset":
            sun = (int(w * float(rng.uniform(0.15, 0.85))), int(h * float(rng.uniform(0.12, 0.3))))
            cv2.circle(img, sun, int(h * 0.05), (255, 215, 140), -1, lineType=cv2.LINE_AA)
        x = 0
        while x < w:
            bw = int(rng.integers(w // 8, w // 4))
            top_y = int(rng.integers(h // 12, h // 3))
            shade = int(rng.integers(22, 40) if self.dark else rng.integers(95, 170))
            colour = tuple(int(c) for c in rng.integers(shade - 8, shade + 9, 3))
            cv2.rectangle(img, (x, top_y), (x + bw - 2, base_y), colour, -1)
            self._windows(img, x, top_y, bw, base_y)
            x += bw
        pavement = (35, 34, 34) if self.dark else (160, 156, 150)
        road = (18, 18, 22) if self.dark else (88, 88, 94)
        img[base_y : int(h * 0.58)] = pavement
        img[int(h * 0.58) : int(h * 0.88)] = road
        img[int(h * 0.88) :] = tuple(c - 12 for c in pavement) if not self.dark else (28, 28, 30)
        mid = int(h * 0.725)
        dash = (90, 90, 80) if self.dark else (225, 225, 220)
        for dx in range(0, w, max(20, w // 10)):
            cv2.rectangle(img, (dx, mid - 2), (dx + w // 20, mid + 2), dash, -1)
        cv2.line(img, (0, int(h * 0.88)), (w, int(h * 0.88)), (200, 200, 190), 2)
        if self.light == "sunset":
            warm = np.array((1.12, 0.92, 0.72), np.float32)
            img[base_y:] = np.clip(img[base_y:] * warm, 0, 255).astype(np.uint8)
        if self.light == "rain":
            img[:] = (img.astype(np.float32) * 0.7 + 45).astype(np.uint8)
        return img

    def _windows(self, img: Image, x: int, top_y: int, bw: int, base_y: int) -> None:
        for wy in range(top_y + 10, base_y - 30, 26):
            for wx in range(x + 8, x + bw - 20, 22):
                if self.dark:
                    lit = self.rng.random() < 0.3
                    warm = self.rng.random() < 0.6
                    on = (235, 185, 95) if warm else (175, 195, 230)
                    colour = on if lit else (14, 15, 22)
                else:
                    g = int(self.rng.integers(60, 95))
                    colour = (g, g + 12, g + 25)
                cv2.rectangle(img, (wx, wy), (wx + 11, wy + 14), colour, -1)

    def _sodium_lamps(self) -> npt.NDArray[np.float32]:
        glow = np.zeros((self.height, self.width, 3), np.float32)
        pole_top = int(self.height * 0.3)
        step = max(1, self.width // 3)
        for lx in range(self.width // 10 + int(self.rng.integers(0, 40)), self.width, step):
            blob = np.zeros((self.height, self.width), np.float32)
            cv2.circle(blob, (lx, pole_top), 5, 1.0, -1)
            cv2.ellipse(blob, (lx, int(self.height * 0.7)), (60, 22), 0, 0, 360, 0.3, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), 12) + cv2.GaussianBlur(blob, (0, 0), 2)
            glow += blob[..., None] * np.array((255, 165, 50), np.float32)
        return glow

    def apply(self, img: Image, i: int, fps: int) -> Image:
        """Light frame ``i``: cloud shadow and drift by day, darkening at dusk, lamps at night."""
        t = i / fps
        if self._lamps is not None:
            lit: Image = np.clip(img + self._lamps, 0, 255).astype(np.uint8)
            return lit
        gain = np.ones(self.width, np.float32) * (1.0 + 0.05 * math.sin(2 * math.pi * t / 11))
        if self.light in ("day", "sunset"):
            cx = (t * self.cloud_speed) % (self.width * 1.6) - self.width * 0.3
            gain -= 0.22 * np.exp(-(((self._xs - cx) / (self.width * 0.18)) ** 2))
        if self.light == "dusk":
            gain *= max(0.45, 1.0 - 0.012 * t)
        out: Image = np.clip(img * gain[None, :, None], 0, 255).astype(np.uint8)
        return out

    def weather(self, img: Image, i: int) -> None:
        """Rain streaks over the finished picture."""
        if self.light != "rain":
            return
        rng = self.rng
        n = self.width * self.height // 800
        xs = rng.integers(0, self.width, n)
        ys = rng.integers(0, self.height, n)
        streaks = np.zeros(img.shape[:2], np.uint8)
        for x, y in zip(xs, ys, strict=True):
            cv2.line(streaks, (int(x), int(y)), (int(x) - 2, int(y) + 12), 255, 1)
        alpha = (streaks.astype(np.float32) / 255.0 * 0.35)[..., None]
        img[:] = (img * (1 - alpha) + 210 * alpha).astype(np.uint8)
        del i
