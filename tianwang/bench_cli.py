"""`tianwang bench ...`: benchmarks that print figures and ratios against an in-process baseline."""

import asyncio
import json
from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmarks (figures, not tests).", no_args_is_help=True)


@bench_app.command("registry")
def registry(
    cameras: Annotated[
        int, typer.Option(min=100, max=200_000, help="Cameras in the register.")
    ] = 10_000,
    queries: Annotated[int, typer.Option(min=20, max=100_000, help="Requests per series.")] = 300,
    database_url: Annotated[
        str | None, typer.Option(help="Benchmark this database instead of a temporary SQLite file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
) -> None:
    """Filtered camera-list latency (p50/p95) at county scale, against unfiltered pages."""
    from tianwang.bench_registry import bench_registry

    figures = asyncio.run(bench_registry(cameras, queries, database_url))
    if not as_json:
        typer.echo(
            f"{figures['cameras']} cameras ({figures['database']}), imported in {figures['import_s']} s\n"
            f"unfiltered page of 100: p50 {figures['baseline_p50_ms']} ms, p95 {figures['baseline_p95_ms']} ms\n"
            f"filtered page of 100:   p50 {figures['filtered_p50_ms']} ms, p95 {figures['filtered_p95_ms']} ms "
            f"({figures['filtered_vs_baseline_p50']}x the baseline p50)"
        )
    typer.echo(json.dumps(figures))
