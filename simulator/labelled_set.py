"""The labelled set: synthetic street clips with their camera config and ground truth.

Each clip is ``NAME.mp4`` (H.264, timestamps), ``NAME.camera.json`` (the camera's
analytics config: lanes, counting line, no-parking kerb, sanitation zone) and
``NAME.truth.json`` (``{"events": [{"type", "start", "end"}], "counts": {line: n}}``).

Two splits: ``dev``, which the detectors may be tuned on, and ``holdout``, which they
must never be: different seeds *and* different scene parameters (lighting, key-frame
interval, traffic speed and density, zone positions, dwell times).

    python -m simulator.labelled_set OUT --split dev|holdout [--jobs 2] [--seed N]

``--seed`` draws new clips of the same kinds (dev: more tuning clips; holdout: a fresh
holdout nobody has looked at).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from simulator.street_scene import StreetScene, StreetSpec, line_count

RENDER_VERSION = 3
"""2: a car that found its lane's end blocked no longer breaks the chain of followers (the
car after it drove through the queue, two cars in one place that no picture can tell apart).
3: the parking car drives in its lane's queue until it has pulled over: the cars behind it
had driven through it, and it through the car ahead."""


@dataclass(frozen=True)
class LabelledClip:
    """One clip of the set: its scene, key-frame interval and zone dwell times."""

    name: str
    spec: StreetSpec
    gop: int
    dwell: dict[str, float]


def _dev(seed: int = 100) -> list[LabelledClip]:
    d = {"no_parking": 15.0, "sanitation": 15.0, "lane": 12.0}
    base = StreetSpec(seed=0, seconds=30.0, light="day")
    clips = [
        ("dev_fire_day", dict(fire_at=4.0)),
        ("dev_smoke_day", dict(smoke_at=5.0)),
        ("dev_wrongway_day", dict(wrong_way_at=8.0)),
        ("dev_parking_day", dict(park_at=4.0, seconds=36.0)),
        ("dev_jam_day", dict(jam=(6.0, 40.0), seconds=45.0, cars_per_min=(16.0, 10.0))),
        ("dev_dump_day", dict(dump_at=6.0, pause_at=2.0, seconds=36.0)),
        ("dev_night_negative", dict(light="night", beacon=True)),
        ("dev_rain_negative", dict(light="rain", beacon=True, red_person=True)),
        ("dev_fire_night", dict(light="night", fire_at=5.0)),
        ("dev_smoke_rain", dict(light="rain", smoke_at=6.0)),
        # More light for smoke and fire (appended: the clips above keep their seeds).
        ("dev_smoke_sunset", dict(light="sunset", smoke_at=4.0)),
        ("dev_smoke_night", dict(light="night", smoke_at=5.0)),
        ("dev_fire_dusk", dict(light="dusk", fire_at=3.0)),
        ("dev_fire_rain", dict(light="rain", fire_at=5.0)),
        ("dev_sunset_negative", dict(light="sunset", beacon=True, red_person=True)),
        ("dev_day_negative", dict(light="day", beacon=True, cars_per_min=(20.0, 20.0))),
        ("dev_wrongway_night", dict(light="night", wrong_way_at=6.0)),
        ("dev_parking_rain", dict(light="rain", park_at=3.0, seconds=40.0)),
        (
            "dev_jam_dusk",
            dict(light="dusk", jam=(5.0, 40.0), seconds=45.0, cars_per_min=(18.0, 12.0)),
        ),
    ]
    return [
        LabelledClip(name, replace(base, seed=seed + k, **kw), gop=25, dwell=d)  # type: ignore[arg-type]
        for k, (name, kw) in enumerate(clips)
    ]


def _holdout(seed: int = 9000) -> list[LabelledClip]:
    d = {"no_parking": 20.0, "sanitation": 12.0, "lane": 15.0}
    base = StreetSpec(
        seed=0,
        seconds=30.0,
        light="dusk",
        speed=(0.08, 0.18),
        cars_per_min=(12.0, 14.0),
        zone_x=(0.15, 0.5),
        park_x=(0.3, 0.7),
        line_x=0.62,
        walkers=6,
    )
    clips = [
        ("holdout_fire_dusk", dict(fire_at=3.0)),
        ("holdout_smoke_sunset", dict(light="sunset", smoke_at=4.0)),
        ("holdout_wrongway_night", dict(light="night", wrong_way_at=6.0)),
        ("holdout_parking_rain", dict(light="rain", park_at=3.0, seconds=40.0)),
        ("holdout_jam_dusk", dict(jam=(5.0, 45.0), seconds=50.0, cars_per_min=(18.0, 12.0))),
        ("holdout_dump_sunset", dict(light="sunset", dump_at=5.0, pause_at=14.0, seconds=32.0)),
        ("holdout_sunset_negative", dict(light="sunset", beacon=True, red_person=True)),
        ("holdout_day_negative", dict(light="day", beacon=True, cars_per_min=(20.0, 20.0))),
        ("holdout_fire_rain", dict(light="rain", fire_at=6.0)),
        ("holdout_smoke_day", dict(light="day", smoke_at=3.0, red_person=True)),
    ]
    return [
        LabelledClip(name, replace(base, seed=seed + 7 * k, **kw), gop=50, dwell=d)  # type: ignore[arg-type]
        for k, (name, kw) in enumerate(clips)
    ]


SPLITS: dict[str, Callable[..., list[LabelledClip]]] = {"dev": _dev, "holdout": _holdout}


def camera_config(clip: LabelledClip) -> dict[str, Any]:
    """The analytics config a camera at this spot would carry in the registry."""
    s = clip.spec
    zx0, zx1 = s.zone_x
    px0, px1 = s.park_x
    return {
        "zones": [
            {
                "name": "lane_west",
                "kind": "lane",
                "polygon": [[0, 0.58], [1, 0.58], [1, 0.725], [0, 0.725]],
                "direction": [-1, 0],
                "dwell_s": clip.dwell["lane"],
            },
            {
                "name": "lane_east",
                "kind": "lane",
                "polygon": [[0, 0.725], [1, 0.725], [1, 0.875], [0, 0.875]],
                "direction": [1, 0],
                "dwell_s": clip.dwell["lane"],
            },
            {
                "name": "kerb_no_parking",
                "kind": "no_parking",
                "polygon": [[px0, 0.86], [px1, 0.86], [px1, 1], [px0, 1]],
                "dwell_s": clip.dwell["no_parking"],
            },
            {
                "name": "bin_corner",
                "kind": "sanitation",
                "polygon": [[zx0, 0.49], [zx1, 0.49], [zx1, 0.6], [zx0, 0.6]],
                "dwell_s": clip.dwell["sanitation"],
            },
        ],
        "lines": [{"name": "midblock", "points": [[s.line_x, 0.58], [s.line_x, 0.88]]}],
    }


def render(clip: LabelledClip, out: Path) -> Path:
    """Write the clip's video, camera config and truth into ``out``; returns the video."""
    out.mkdir(parents=True, exist_ok=True)
    scene = StreetScene(clip.spec)
    video = out / f"{clip.name}.mp4"
    partial = out / f".{clip.name}.partial.mp4"
    w, h = clip.spec.size
    with av.open(str(partial), mode="w") as container:
        stream = container.add_stream("libx264", rate=clip.spec.fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.gop_size = clip.gop
        stream.max_b_frames = 0
        stream.options = {
            "preset": "veryfast",
            "x264-params": f"keyint={clip.gop}:min-keyint={clip.gop}:scenecut=0:bframes=0:threads=1",
        }
        for i, rgb in enumerate(scene.frames()):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, clip.spec.fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    partial.replace(video)
    events = [
        {"type": kind, "start": round(a, 2), "end": round(min(b, clip.spec.seconds), 2)}
        for kind, (a, b) in sorted(scene.actors.events.items())
    ]
    s = clip.spec
    if s.fire_at is not None:
        events.append({"type": "fire", "start": s.fire_at, "end": s.seconds})
        events.append({"type": "smoke", "start": s.fire_at, "end": s.seconds})
    if s.smoke_at is not None:
        events.append({"type": "smoke", "start": s.smoke_at, "end": s.seconds})
    counts = {"midblock": line_count(scene.actors, s.line_x, w, (0.58 * h, 0.88 * h))}
    truth = {"events": events, "counts": counts, "seconds": s.seconds, "render": RENDER_VERSION}
    (out / f"{clip.name}.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    (out / f"{clip.name}.camera.json").write_text(json.dumps(camera_config(clip), indent=1) + "\n")
    return video


def render_split(
    split: str, out: Path, jobs: int = 1, only: str = "", seed: int | None = None
) -> list[Path]:
    """Render the clips of ``split`` (names containing ``only``) into ``out``, ``jobs`` at a
    time; ``seed`` draws other clips of the same kinds (a fresh holdout, more tuning clips)."""
    make = SPLITS[split]
    clips = [c for c in (make() if seed is None else make(seed)) if only in c.name]
    if jobs <= 1:
        return [render(clip, out) for clip in clips]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(render, clips, [out] * len(clips)))


def main(argv: list[str] | None = None) -> int:
    """Command line: render a split of the labelled set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--split", choices=sorted(SPLITS), required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", default="", help="render only clips whose name contains this")
    parser.add_argument(
        "--seed", type=int, default=None, help="base seed: other clips of the same kinds"
    )
    args = parser.parse_args(argv)
    for video in render_split(args.split, args.out, args.jobs, args.only, args.seed):
        print(video, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
