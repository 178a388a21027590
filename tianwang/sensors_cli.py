"""`tianwang sensors ...`: the inventory manager's commands for the sensor ledger."""

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from camera_registry.ledger_csv import LedgerError
from camera_registry.sensor_ledger import import_sensor_ledger
from camera_registry.sensor_store import list_sensors
from tianwang.cli_settings import ConfigOption, load_or_exit
from tianwang.ledger_report import echo_import_report
from tianwang.service import prepared_engine

sensors_app = typer.Typer(help="The sensor register: import, list.", no_args_is_help=True)


@sensors_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="Sensor ledger CSV (UTF-8 or GB18030)."),
    ],
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report, write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="All or nothing: any bad row imports none.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Last line: the report as JSON.")] = False,
) -> None:
    """Upsert sensors by id; bad rows are reported with their line number, the rest import.
    A running service picks the changes up within 30 s."""
    settings = load_or_exit(config)

    async def run() -> None:
        engine = await prepared_engine(settings)
        try:
            report = await import_sensor_ledger(
                engine, file.read_bytes(), settings.county_code, dry_run=dry_run, strict=strict
            )
        finally:
            await engine.dispose()
        echo_import_report(
            file,
            ((bad.line, bad.id, bad.error) for bad in report.rejected),
            {
                "imported": report.imported,
                "updated": report.updated,
                "rejected": len(report.rejected),
                "created_places": report.created_places,
            },
            written=report.written,
            dry_run=dry_run,
            strict=strict,
        )
        if as_json:
            typer.echo(report.model_dump_json())

    try:
        asyncio.run(run())
    except LedgerError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from exc


@sensors_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """One JSON line per sensor of the register (place, thresholds, last heard from)."""
    settings = load_or_exit(config)

    async def run() -> None:
        engine = await prepared_engine(settings)
        try:
            for sensor in await list_sensors(engine):
                typer.echo(json.dumps(sensor.model_dump(mode="json"), ensure_ascii=False))
        finally:
            await engine.dispose()

    asyncio.run(run())
