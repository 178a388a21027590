"""`tianwang cameras ...`: the inventory manager's commands for the camera ledger."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from camera_registry.ledger_csv import LedgerError, write_rows
from camera_registry.ledger_export import export_ledger
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import read_places
from config.settings import SAMPLE_DIR
from tianwang.cli_settings import ConfigOption, load_or_exit
from tianwang.ledger_report import echo_import_report
from tianwang.service import prepared_engine

cameras_app = typer.Typer(
    help="The camera register: import, export, generate.", no_args_is_help=True
)


@cameras_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Ledger CSV (UTF-8 or GB18030).")
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
    """Upsert cameras by GB/T 28181 ID; bad rows are reported with their line number."""
    settings = load_or_exit(config)

    async def run() -> None:
        engine = await prepared_engine(settings)
        try:
            report = await import_ledger(
                engine, file.read_bytes(), settings.county_code, dry_run=dry_run, strict=strict
            )
        finally:
            await engine.dispose()
        for name in report.created:
            typer.echo(f"created place: {name}", err=True)
        echo_import_report(
            file,
            ((bad.line, bad.gb_id, bad.error) for bad in report.rejected),
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
            typer.echo(json.dumps(report.summary(), ensure_ascii=False))

    try:
        asyncio.run(run())
    except LedgerError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from exc


@cameras_app.command("export")
def export_command(
    config: ConfigOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
) -> None:
    """Write the register as a ledger CSV (the import format; no credentials)."""
    settings = load_or_exit(config)

    async def run() -> str:
        engine = await prepared_engine(settings)
        try:
            return await export_ledger(engine)
        finally:
            await engine.dispose()

    text = asyncio.run(run())
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text("\ufeff" + text, encoding="utf-8")


@cameras_app.command("generate")
def generate_command(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many cameras.")] = 1067,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    places: Annotated[Path, typer.Option(help="Places file.")] = SAMPLE_DIR / "dejiang_places.yaml",
) -> None:
    """Print a realistic synthetic Dejiang ledger CSV (with RTSP credentials, as real ones have)."""
    sys.stdout.write(write_rows(generate_ledger(count, read_places(places), seed)))
