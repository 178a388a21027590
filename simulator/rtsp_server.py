"""Serve looping H.264 clips as RTSP cameras (run under Debian's /usr/bin/python3, which has gi).

    /usr/bin/python3 simulator/rtsp_server.py --port 8554 --fps 10 \\
        --stream street=/data/street.h264 --stream fire=/data/fire.h264

Each ``--stream NAME=PATH`` becomes ``rtsp://HOST:PORT/NAME``. A path is played by
one shared pipeline however many clients watch it. Raw Annex-B carries no
timestamps, so a pad probe stamps every access unit from a frame counter and
``identity sync=true`` holds each one until its time: the clip plays at its real
frame rate, looping forever, with steadily increasing timestamps.

Prints ``READY <port>`` once listening; exits on SIGTERM, SIGINT or when stdin
closes (the parent went away). Imports only the standard library and gi.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

LAUNCH = (
    '( multifilesrc name=src loop=true caps="video/x-h264,stream-format=byte-stream"'
    " ! h264parse ! video/x-h264,alignment=au"
    " ! identity name=pace sync=true"
    " ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)

LISTEN_BACKLOG = 1024
"""Pending connections the listening socket holds (the kernel caps it at somaxconn)."""


class LoopingClipFactory(GstRtspServer.RTSPMediaFactory):
    """One shared, real-time, looping pipeline per clip."""

    def __init__(self, clip: Path, fps: int) -> None:
        super().__init__()
        self.clip = clip
        self.frame_ns = Gst.SECOND // fps
        self.set_launch(LAUNCH)
        self.set_shared(True)
        self.connect("media-configure", self._on_media_configure)

    def _on_media_configure(
        self, _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia
    ) -> None:
        bin_ = media.get_element()
        bin_.get_by_name("src").set_property("location", str(self.clip))
        frames = [0]  # per media: a fresh pipeline starts again at t=0

        def stamp(_pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
            buffer = info.get_buffer()
            buffer.pts = buffer.dts = frames[0] * self.frame_ns
            buffer.duration = self.frame_ns
            frames[0] += 1
            return Gst.PadProbeReturn.OK

        pad = bin_.get_by_name("pace").get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, stamp)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    parser.add_argument("--fps", type=int, default=10, help="frame rate the clips play at")
    parser.add_argument(
        "--stream", action="append", default=[], metavar="NAME=PATH", help="repeatable"
    )
    args = parser.parse_args(argv)
    streams: dict[str, Path] = {}
    for spec in args.stream:
        name, sep, path = spec.partition("=")
        if not sep or not name or "/" in name:
            parser.error(f"--stream wants NAME=PATH, got {spec!r}")
        if not Path(path).is_file():
            parser.error(f"--stream {name}: no such file {path}")
        streams[name] = Path(path).resolve()
    if not streams:
        parser.error("give at least one --stream NAME=PATH")
    if args.fps < 1:
        parser.error("--fps must be positive")
    args.streams = streams
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    # GstRTSPServer listens with a backlog of 5: a bench that opens 150 cameras at once
    # overflows it, and the kernel drops their SYNs ("SYN flooding" in the kernel log)
    # until the clients' connect timeouts run out.
    server.set_backlog(LISTEN_BACKLOG)
    mounts = server.get_mount_points()
    for name, clip in args.streams.items():
        mounts.add_factory(f"/{name}", LoopingClipFactory(clip, args.fps))

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, lambda *_: loop.quit() or False)
    if not os.isatty(0):
        # The parent holds our stdin open; EOF means it is gone, so we go too.
        GLib.io_add_watch(
            0, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, lambda *_: _on_stdin(loop)
        )
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


def _on_stdin(loop: GLib.MainLoop) -> bool:
    if not os.read(0, 4096):
        loop.quit()
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
