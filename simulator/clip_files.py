"""Clips as plain files with timestamps, for when no RTSP server can be had.

A raw Annex-B ``.h264`` clip carries no timestamps, so a reader cannot play it at its
real rate. Copying its packets into an MP4 with ``pts = frame index / fps`` (no
re-encoding) gives the ingest the same pacing it gets from the RTSP server.
"""

from fractions import Fraction
from pathlib import Path

import av


def timestamped_copy(clip: Path, fps: int) -> Path:
    """``clip`` remuxed to an MP4 next to it at ``fps`` (made once, then reused)."""
    target = clip.with_suffix(f".{fps}fps.mp4")
    if target.is_file():
        return target
    partial = target.with_suffix(".partial.mp4")
    with av.open(str(clip), format="h264") as source, av.open(str(partial), "w") as sink:
        video = source.streams.video[0]
        out = sink.add_stream_from_template(video)
        frame_time = Fraction(1, fps)
        for index, packet in enumerate(p for p in source.demux(video) if p.size):
            packet.stream = out
            packet.time_base = frame_time  # the muxer rescales to the stream's time base
            packet.pts = packet.dts = index
            packet.duration = 1
            sink.mux(packet)
    partial.replace(target)
    return target
