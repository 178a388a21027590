"""`tianwang simulate sensors`: a fleet of simulated building sensors on the configured broker."""

import asyncio
import contextlib
from typing import Annotated

import typer

from tianwang.cli_settings import ConfigOption, load_or_exit

simulate_app = typer.Typer(
    help="Simulated devices for the demo and benchmarks.", no_args_is_help=True
)


@simulate_app.command("sensors")
def sensors(
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Sensors to simulate.")] = 500,
    period_s: Annotated[
        float, typer.Option(min=0.1, help="Each sensor reports this often.")
    ] = 60.0,
    alarm_every_s: Annotated[
        float, typer.Option(min=0, help="One random alarm this often (0: none).")
    ] = 30.0,
    seconds: Annotated[float | None, typer.Option(min=1, help="Stop after this long.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same fleet).")] = 0,
    config: ConfigOption = None,
) -> None:
    """Publish realistic telemetry (QoS 1) and occasional alarms from ``count`` sensors."""
    from ingest.sensors import broker_client
    from simulator.sensor_fleet import fleet, run_telemetry
    from tianwang.logs import configure_logging

    configure_logging()
    settings = load_or_exit(config)
    sims = fleet(count, seed=seed)

    async def run() -> None:
        async with broker_client(settings.mqtt, f"simulator-{seed}") as client:
            typer.echo(
                f"simulating {count} sensors on {settings.mqtt.host}:{settings.mqtt.port} "
                f"under {settings.mqtt.topic_prefix} (ids sim-<kind>-00000...)",
                err=True,
            )
            publishing = run_telemetry(
                client,
                settings.mqtt.topic_prefix,
                sims,
                period_s=period_s,
                alarm_every_s=alarm_every_s or None,
                seed=seed,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(publishing, seconds)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
