"""Is anyone there? A camera's RTSP server asked ``OPTIONS`` on the event loop, before a
session thread is spent on it.

At county scale hundreds of cameras are unreachable at any time, and each retries. Opening
every attempt with PyAV costs a thread (started while the event loop waits for it) and,
for a silent address, a thread blocked for the whole timeout. The probe answers the
common failures (refused, unreachable, no answer, not RTSP) with a socket and a few
bytes on the loop; only a camera that answers gets a session thread.
"""

import asyncio
import contextlib
import errno
from urllib.parse import urlsplit

from ingest.stream_errors import StreamError

RTSP_PORT = 554
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH}


async def probe_rtsp(url: str, timeout_s: float) -> None:
    """Return when the server at ``url`` answers an RTSP request (any status: a 401 still
    proves a live server, PyAV then reports the authentication); raise StreamError with the
    reason otherwise. URLs that are not ``rtsp://`` pass unprobed."""
    parts = urlsplit(url)
    if parts.scheme != "rtsp" or not parts.hostname:
        return
    port = parts.port or RTSP_PORT
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(parts.hostname, port)
            # No credentials on the wire here: the session does the authenticated requests.
            target = f"rtsp://{parts.hostname}:{port}{parts.path or '/'}"
            writer.write(f"OPTIONS {target} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
            await writer.drain()
            status = await reader.readline()
    except TimeoutError as exc:
        raise StreamError("timeout", f"no RTSP answer in {timeout_s:g} s") from exc
    except ConnectionRefusedError as exc:
        raise StreamError("refused", "connection refused") from exc
    except OSError as exc:
        reason = "unreachable" if exc.errno in _UNREACHABLE else "error"
        raise StreamError(reason, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    if not status.startswith(b"RTSP/"):
        raise StreamError("bad_data", "the server at the camera's address does not speak RTSP")
