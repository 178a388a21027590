"""Why a camera stream failed, in words the inventory manager can act on."""

import av

from camera_registry.credentials import mask_text


class StreamError(Exception):
    """A camera session ended in failure; ``reason`` is one of the REASONS keys."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


REASONS = {
    "auth_failed": "the camera refused the credentials",
    "refused": "nothing listens at the camera's address",
    "timeout": "no answer or no packet within the timeout",
    "not_found": "the camera has no such stream path",
    "no_video_stream": "the stream carries no video",
    "bad_data": "the stream could not be parsed",
    "unreachable": "the camera's host cannot be reached",
    "ended": "the stream ended (the camera or server closed it)",
    "stalled": "the stream stayed open but no video came for the stall time",
    "error": "another stream error",
}


def classify(exc: BaseException) -> str:
    """Map a PyAV/OS exception raised while opening or reading a stream to a reason."""
    err = av.error
    if isinstance(exc, err.HTTPUnauthorizedError | err.HTTPForbiddenError | err.PermissionError):
        return "auth_failed"
    if isinstance(exc, err.ConnectionRefusedError | ConnectionRefusedError):
        return "refused"
    if isinstance(exc, err.TimeoutError | err.ExitError | TimeoutError):
        return "timeout"
    if isinstance(exc, err.HTTPNotFoundError | err.FileNotFoundError | FileNotFoundError):
        return "not_found"
    if isinstance(exc, err.InvalidDataError):
        return "bad_data"
    if isinstance(exc, OSError) and exc.errno in (101, 113, -101, -113):
        return "unreachable"
    return "error"


def stream_error(exc: BaseException) -> StreamError:
    """A StreamError for ``exc``, with its reason and a short detail (no URL in it)."""
    message = getattr(exc, "strerror", None) or str(exc)
    return StreamError(classify(exc), mask_text(f"{type(exc).__name__}: {message}"))
