"""The one small interface every frame detector implements: a cheap screen and a confirm step.

In *patrol* a camera decodes only key frames and calls ``screen``; a score at or above
``SCREEN_HIT`` asks for *focus*, where every frame at the detector's rate goes to
``confirm`` until it returns a Finding or the focus time runs out. A ``continuous``
detector (traffic: counting lines, tracks) keeps its camera in focus for good. A detector
may also have a ``watching`` attribute: while it is true (something takes shape that the
confirm step may yet confirm), the camera's focus holds a while longer.

``t`` is seconds of stream time; calls come at irregular intervals (one key frame a second
or two in patrol, ``focus_fps`` in focus), so time-dependent state must use ``t``, not
the number of calls.
"""

import threading
import weakref
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from detectors.model import Finding

Frame = npt.NDArray[np.uint8]
"""A decoded picture: height x width x 3, BGR, uint8 (OpenCV's layout)."""

SCREEN_HIT = 1.0


class _Shrunk(threading.local):
    """The last picture shrunk on this thread, and its shrunk copies by width."""

    def __init__(self) -> None:
        self.source: weakref.ref[Frame] | None = None
        self.copies: dict[int, Frame] = {}


_shrunk = _Shrunk()


def shrink(frame: Frame, width: int) -> Frame:
    """``frame`` scaled down to ``width`` (height in proportion) by area averaging.

    When ``width`` divides the frame's width by a power of two, the halvings are done one
    at a time: the same box average to within one grey level, at a third of the cost of
    OpenCV's single INTER_AREA step for 640 -> 160 (0.09 against 0.33 ms here), which every
    detector pays on every key frame of every camera.

    The fire and smoke screens and the health checks all look at the same key frame at
    160 pixels: the copies of the last picture shrunk on this thread are kept and handed
    out again, read-only (a detector that wants to write makes its own copy).
    """
    h, w = frame.shape[:2]
    if w <= width:
        return frame
    if _shrunk.source is None or _shrunk.source() is not frame:
        _shrunk.source, _shrunk.copies = weakref.ref(frame), {}
    copies = _shrunk.copies
    if width in copies:
        return copies[width]
    if w % width == 0 and (w // width) & (w // width - 1) == 0:
        while w > width and h % 2 == 0:
            half = copies.get(w // 2)
            if half is None:
                half = _kept(copies, w // 2, _halved(frame))
            frame = half
            h, w = frame.shape[:2]
        if w == width:
            return frame
    size = (width, max(1, h * width // w))
    return _kept(copies, width, cv2.resize(frame, size, interpolation=cv2.INTER_AREA))


def _halved(frame: Frame) -> npt.NDArray[np.uint8]:
    h, w = frame.shape[:2]
    return np.asarray(cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA))


def _kept(copies: dict[int, Frame], width: int, scaled: npt.ArrayLike) -> Frame:
    small = np.asarray(scaled, dtype=np.uint8)
    small.setflags(write=False)
    copies[width] = small
    return small


class FrameDetector(Protocol):
    """A detector of one kind of event in one camera's pictures; holds that camera's state."""

    kind: str
    continuous: bool

    def screen(self, frame: Frame, t: float) -> float:
        """Cheap look at a patrol frame; >= SCREEN_HIT asks for focus."""
        ...

    def confirm(self, frame: Frame, t: float) -> Finding | None:
        """Look at a focus frame taken at ``t`` seconds; a Finding once the event is sure."""
        ...

    def reset(self) -> None:
        """Forget the confirm state (focus ended, or the stream restarted)."""
        ...
