"""How the ledger imports (`cameras import`, `sensors import`) tell the inventory manager
what they did: each rejected row as ``FILE:LINE: rejected ID: why``, then one total line."""

from collections.abc import Iterable
from pathlib import Path

import typer


def echo_import_report(
    file: Path,
    rejected: Iterable[tuple[int, str, str]],
    totals: dict[str, int],
    *,
    written: bool,
    dry_run: bool,
    strict: bool,
) -> None:
    """On stderr: the rejected rows (line, id, error) and the totals (imported, updated,
    created_places), saying when nothing was written and why."""
    refused = False
    for line, identity, error in rejected:
        refused = True
        typer.echo(f"{file}:{line}: rejected {identity or '(no id)'}: {error}", err=True)
    typer.echo(
        f"{'imported' if written else 'would import'} {totals['imported']} new, "
        f"{totals['updated']} updated, {totals['rejected']} rejected, "
        f"{totals['created_places']} places created"
        + (" (dry run: nothing written)" if dry_run else "")
        + (" (strict: nothing written)" if strict and refused else ""),
        err=True,
    )
