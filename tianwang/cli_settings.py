"""Loading settings for a command: every problem spelled out, exit code 2."""

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from config.settings import Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML settings file (keys as config/default.yaml)."),
]


def load_or_exit(config: Path | None, **overrides: Any) -> Settings:
    """Load settings or exit 2 with every problem spelled out."""
    try:
        return load_settings(config, **overrides)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']} (got {e.get('input')!r:.60})"
            for e in exc.errors()
        ]
        typer.echo("config error:\n" + "\n".join(lines), err=True)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"config error: {exc}", err=True)
    raise typer.Exit(2)
