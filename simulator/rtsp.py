"""Simulated RTSP cameras: looping clips served by a GStreamer subprocess.

GStreamer's RTSP server is only reachable from Debian's ``/usr/bin/python3``
(python3-gi), not from the venv, so ``rtsp_server.py`` runs as a child process
and this module owns its lifecycle::

    async with RtspSimulator({"street": street_clip, "fire": fire_clip}) as cameras:
        url = cameras.url("fire")  # rtsp://127.0.0.1:PORT/fire

Where the server is missing, ``fallback_to_files=True`` hands out timestamped MP4
copies of the clips instead, which the ingest reads through the same PyAV code path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import subprocess
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from simulator.clip_files import timestamped_copy

log = logging.getLogger(__name__)

SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
INSTALL_HINT = (
    "apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-rtsp"
)
_CHECK = """
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
missing = [e for e in ("multifilesrc", "h264parse", "identity", "rtph264pay")
           if Gst.ElementFactory.find(e) is None]
if missing:
    raise SystemExit("missing GStreamer elements: " + ", ".join(missing))
"""


@functools.cache
def rtsp_server_problem(python: Path = SYSTEM_PYTHON) -> str | None:
    """None when ``python`` can run the GStreamer RTSP server, else why not (cached)."""
    if not python.exists():
        return f"GStreamer RTSP server not installed: {python} does not exist ({INSTALL_HINT})"
    try:
        check = subprocess.run(
            [str(python), "-c", _CHECK], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"GStreamer RTSP server unusable: {python} failed to start the check: {exc}"
    if check.returncode != 0:
        detail = (check.stderr.strip().splitlines() or ["no error output"])[-1]
        return f"GStreamer RTSP server not installed for {python}: {detail} ({INSTALL_HINT})"
    return None


class RtspSimulator:
    """Serve clips as RTSP cameras for the lifetime of an ``async with`` block."""

    def __init__(
        self,
        streams: dict[str, Path],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fps: int = 10,
        fallback_to_files: bool = False,
        ready_timeout: float = 15.0,
        python: Path = SYSTEM_PYTHON,
        cpus: set[int] | None = None,
    ) -> None:
        if not streams:
            raise ValueError("RtspSimulator needs at least one stream")
        for name in streams:
            if not name or "/" in name or "=" in name:
                raise ValueError(f"stream name {name!r} must be non-empty without '/' or '='")
        self._streams = {name: Path(path).resolve() for name, path in streams.items()}
        self._host = host
        self._port = port
        self._fps = fps
        self._fallback_to_files = fallback_to_files
        self._ready_timeout = ready_timeout
        self._python = python
        self._cpus = cpus
        """Cores the server may run on (None: any), so a benchmark keeps it off the client's."""
        self._process: asyncio.subprocess.Process | None = None
        self._drains: list[asyncio.Task[None]] = []
        self._stderr: deque[str] = deque(maxlen=50)
        self.mode: Literal["rtsp", "file"] = "rtsp"
        self._files: dict[str, Path] = {}

    @property
    def port(self) -> int:
        """The port the server listens on (known once started; 0 in file mode)."""
        return self._port

    @property
    def pid(self) -> int | None:
        """The server process id while it runs (for tests and CPU accounting)."""
        return None if self._process is None else self._process.pid

    def url(self, name: str) -> str:
        """Where a client finds stream ``name``: an RTSP URL, or the clip path in file mode."""
        if name not in self._streams:
            raise KeyError(f"no simulated stream {name!r}; have {sorted(self._streams)}")
        if self.mode == "file":
            return str(self._files[name])
        if self._port == 0:  # stays known through restart(), so clients can keep retrying it
            raise RuntimeError("RtspSimulator has not started; use it in 'async with'")
        return f"rtsp://{self._host}:{self._port}/{name}"

    async def __aenter__(self) -> Self:
        missing = [str(path) for path in self._streams.values() if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"clips not found: {', '.join(missing)}")
        problem = await asyncio.to_thread(rtsp_server_problem, self._python)
        if problem is not None:
            if not self._fallback_to_files:
                raise RuntimeError(f"cannot simulate RTSP cameras: {problem}")
            log.warning(
                "!!! RTSP SIMULATOR DISABLED: %s. Falling back to reading the clip files "
                "directly; nothing here exercises RTSP. !!!",
                problem,
            )
            self.mode = "file"
            self._files = {
                name: await asyncio.to_thread(timestamped_copy, path, self._fps)
                for name, path in self._streams.items()
            }
            return self
        self.mode = "rtsp"
        await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def restart(self, downtime: float = 0.0) -> None:
        """Kill the server and start it again on the same port: every client sees a drop."""
        if self.mode == "file":
            log.info("RtspSimulator in file mode: restart() has nothing to drop")
            return
        await self._stop()
        await asyncio.sleep(downtime)
        await self._start()

    async def _start(self) -> None:
        args = [str(self._python), str(SERVER_SCRIPT), "--host", self._host]
        args += ["--port", str(self._port), "--fps", str(self._fps)]
        for name, path in self._streams.items():
            args += ["--stream", f"{name}={path}"]
        self._stderr.clear()
        # stdin stays open and unused: the server exits when it closes, so it never outlives us.
        self._process = process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=None
            if self._cpus is None
            else functools.partial(os.sched_setaffinity, 0, self._cpus),
        )
        try:
            assert process.stdout is not None and process.stderr is not None
            self._drains = [asyncio.create_task(self._drain(process.stderr, self._stderr))]
            async with asyncio.timeout(self._ready_timeout):
                port = await self._read_ready(process.stdout)
            self._drains.append(asyncio.create_task(self._drain(process.stdout, None)))
        except BaseException as exc:
            await self._stop()
            if isinstance(exc, TimeoutError):
                raise RuntimeError(
                    f"RTSP simulator gave no READY within {self._ready_timeout:g}s; "
                    f"stderr: {self._stderr_text()}"
                ) from exc
            raise
        self._port = port
        log.info(
            "RTSP simulator pid %d serves %s on port %d", process.pid, sorted(self._streams), port
        )

    async def _read_ready(self, stdout: asyncio.StreamReader) -> int:
        while line := (await stdout.readline()).decode(errors="replace"):
            if line.startswith("READY "):
                return int(line.split()[1])
        assert self._process is not None
        code = await self._process.wait()
        await asyncio.gather(*self._drains, return_exceptions=True)  # collect all of stderr
        raise RuntimeError(
            f"RTSP simulator exited with code {code} before READY; stderr: {self._stderr_text()}"
        )

    @staticmethod
    async def _drain(stream: asyncio.StreamReader, into: deque[str] | None) -> None:
        # Always read the pipes: a full pipe would stall the server mid-stream.
        while line := await stream.readline():
            if into is not None:
                into.append(line.decode(errors="replace").rstrip())

    def _stderr_text(self) -> str:
        return "\n".join(self._stderr) or "(empty)"

    async def _stop(self) -> None:
        process, self._process = self._process, None
        drains, self._drains = self._drains, []
        if process is None:
            return
        try:
            if process.returncode is None:
                process.terminate()
                try:
                    async with asyncio.timeout(5):
                        await process.wait()
                except TimeoutError:
                    log.warning("RTSP simulator pid %d ignored SIGTERM; killing", process.pid)
                    process.kill()
                    await process.wait()
        except BaseException:
            # Cancelled mid-stop: kill now; asyncio's child watcher still reaps it.
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise
        finally:
            for task in drains:
                task.cancel()
            await asyncio.gather(*drains, return_exceptions=True)
