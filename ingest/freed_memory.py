"""Giving memory back to the system after camera sessions end.

Each session thread decodes in a glibc malloc arena of its own; when its stream drops, the
FFmpeg contexts and frame buffers it freed stay mapped in that arena (glibc trims only the
top of the main heap). After an RTSP server's outage every camera's session has ended and
started again, and the process is bigger by what the old sessions left behind.
``malloc_trim(0)`` returns the free pages of every arena (glibc 2.8 and later).
"""

import ctypes
import ctypes.util
import threading
import time

MIN_GAP_S = 30.0
"""At most one trim in this long: it walks every arena, and sessions end in waves."""

_lock = threading.Lock()
_last = -MIN_GAP_S
_libc_name = ctypes.util.find_library("c")
_trim = getattr(ctypes.CDLL(_libc_name), "malloc_trim", None) if _libc_name else None


def release_freed_memory() -> bool:
    """Trim the heap unless that was done less than ``MIN_GAP_S`` ago; True when it ran.

    A no-op off glibc (musl, macOS have no ``malloc_trim``).
    """
    global _last
    if _trim is None:
        return False
    with _lock:
        now = time.monotonic()
        if now - _last < MIN_GAP_S:
            return False
        _last = now
    _trim(0)
    return True
