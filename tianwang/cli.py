"""The `tianwang` command."""

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tianwang.bench_cli import bench_app
from tianwang.cameras_cli import cameras_app
from tianwang.cli_settings import ConfigOption, load_or_exit
from tianwang.logs import configure_logging
from tianwang.sensors_cli import sensors_app
from tianwang.simulate_cli import simulate_app
from tianwang.users_cli import users_app

app = typer.Typer(
    help="天网 cameras and building sensors → incidents for 一网管.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cameras_app, name="cameras")
app.add_typer(sensors_app, name="sensors")
app.add_typer(bench_app, name="bench")
app.add_typer(simulate_app, name="simulate")
app.add_typer(users_app, name="users")


def _run(coro: Any) -> Any:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(coro)
    return None


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="API address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default from settings).")] = None,
    role: Annotated[
        str,
        typer.Option(
            help="api, publisher (one in the fleet drains the outbox), worker (cameras by "
            "lease, sensors) or all."
        ),
    ] = "all",
    name: Annotated[
        str | None, typer.Option(help="Worker name in the fleet (default: the host name).")
    ] = None,
) -> None:
    """Run the pipeline and the API (or one role of them)."""
    from tianwang.service import ROLES, fleet_settings
    from tianwang.service import serve as run_service

    configure_logging()
    if role not in ROLES:
        typer.echo(f"--role must be one of {', '.join(ROLES)}, not {role!r}", err=True)
        raise typer.Exit(2)
    settings = fleet_settings(load_or_exit(config), name, None)
    api = settings.api.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    _run(run_service(settings.model_copy(update={"api": api}), role, config_file=config))


@app.command()
def worker(
    name: Annotated[str, typer.Option(help="This worker's name, unique in the fleet.")],
    capacity: Annotated[
        int | None,
        typer.Option(min=0, max=100_000, help="Most cameras it analyses (default from settings)."),
    ] = None,
    sensors: Annotated[
        bool, typer.Option(help="Also consume sensor messages (off for serve's local workers).")
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Claim a share of the cameras by lease and analyse them, and consume sensors (no API)."""
    from tianwang.service import fleet_settings
    from tianwang.service import serve as run_service

    configure_logging()
    settings = load_or_exit(config)
    try:
        settings = fleet_settings(settings, name, capacity)
    except ValueError as exc:
        typer.echo(f"--name: {exc}", err=True)
        raise typer.Exit(2) from exc
    _run(run_service(settings, "worker", sensors=sensors))


@app.command()
def demo(
    config: ConfigOption = None,
    seconds: Annotated[
        float | None, typer.Option(min=1, help="Stop after this long and print a summary.")
    ] = None,
) -> None:
    """Simulated cameras and sensors through the whole pipeline; last line is a JSON summary."""
    from tianwang.demo import run_demo, summary_json

    configure_logging()
    settings = load_or_exit(config)
    summary = _run(run_demo(settings, seconds))
    if summary is not None:
        sys.stdout.write(summary_json(summary) + "\n")


@app.command()
def receiver(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    journal: Annotated[
        Path | None, typer.Option(help="Append each new event to this JSONL file.")
    ] = None,
    fail: Annotated[float, typer.Option(min=0, max=1, help="Share of POSTs answered 503.")] = 0.0,
    drop: Annotated[
        float, typer.Option(min=0, max=1, help="Share stored, then the connection dropped.")
    ] = 0.0,
    slow: Annotated[float, typer.Option(min=0, max=1, help="Share answered after --slow-s.")] = 0.0,
    slow_s: Annotated[float, typer.Option(min=0, max=600, help="Delay of a slow answer.")] = 10.0,
) -> None:
    """Run the stand-in for 一网管: verifies signatures, drops duplicates, lists what came."""
    from api.server import serve_app
    from simulator.receiver import Faults, ReceivedEvents, create_receiver

    configure_logging()
    settings = load_or_exit(config)
    if fail + drop + slow > 1:
        typer.echo(
            "--fail, --drop and --slow are shares of one whole: their sum must be <= 1", err=True
        )
        raise typer.Exit(2)
    faults = Faults(fail, drop, slow, slow_s) if fail or drop or slow else None
    app_ = create_receiver(
        settings.delivery.secret.get_secret_value(), ReceivedEvents(journal=journal), faults
    )

    async def run() -> None:
        async with serve_app(
            app_, host or settings.receiver.host, port or settings.receiver.port
        ) as url:
            typer.echo(f"一网管 stand-in listening: POST {url}/events, GET {url}/events", err=True)
            await asyncio.Event().wait()

    _run(run())


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the migrations to the configured database (TIANWANG_DATABASE_URL)."""
    from camera_registry.database import open_engine
    from tianwang.migrate import upgrade

    configure_logging()
    settings = load_or_exit(config)

    async def run() -> None:
        engine = open_engine(settings.resolved_database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    _run(run())
    typer.echo(
        json.dumps({"database": _masked(settings.resolved_database_url), "revision": "head"})
    )


@app.command()
def detect(
    video: Annotated[Path, typer.Argument(help="Video file (MP4, raw H.264, AVI, ...).")],
    camera_config: Annotated[
        Path | None,
        typer.Option("--camera-config", help="The camera's analytics config (JSON or YAML)."),
    ] = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="JSON Lines: one event a line, then a summary.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run the service's detectors and patrol/focus policy over a video file."""
    from tianwang.detect import detect_file, load_camera_config

    settings = load_or_exit(config)
    result = detect_file(video, settings, load_camera_config(camera_config))
    for line in result.json_lines() if json_lines else result.text_lines():
        typer.echo(line)


@app.command("eval")
def evaluate(
    directory: Annotated[
        Path, typer.Argument(help="Labelled set: NAME.mp4 + .camera.json + .truth.json.")
    ],
    config: ConfigOption = None,
) -> None:
    """Score the detectors on a labelled set; the last line is a JSON summary."""
    from tianwang.evaluate import evaluate_set

    settings = load_or_exit(config)
    for line in evaluate_set(directory, settings):
        typer.echo(line)


def _masked(url: str) -> str:
    from sqlalchemy.engine.url import make_url

    return make_url(url).render_as_string(hide_password=True)
