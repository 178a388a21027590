"""`tianwang bench ...`: benchmarks that print figures and ratios against an in-process baseline."""

import asyncio
import json
import os
from typing import Annotated

import typer

from tianwang.cli_settings import ConfigOption, load_or_exit

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


@bench_app.command("sensors")
def sensors(
    messages: Annotated[
        int, typer.Option(min=100, max=10_000_000, help="Messages to send.")
    ] = 100_000,
    rate: Annotated[float, typer.Option(min=10, help="Publish rate, messages/s.")] = 6000.0,
    mqtt_version: Annotated[str, typer.Option(help="5 or 3.1.1.")] = "5",
    alarm_share: Annotated[float, typer.Option(min=0, max=0.5, help="Share of alarms.")] = 0.002,
    broker: Annotated[
        str,
        typer.Option(
            help="own: a private Mosquitto with config/mosquitto.conf; configured: the "
            "settings' broker."
        ),
    ] = "own",
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
    config: ConfigOption = None,
) -> None:
    """Sensor messages through the real broker: msgs/s per core, alarm → incident p50/p99."""
    from tianwang.bench_sensors import bench_sensors

    settings = load_or_exit(config)
    f = asyncio.run(
        bench_sensors(
            settings,
            messages,
            rate=rate,
            version=mqtt_version,
            alarm_share=alarm_share,
            broker=broker,
        )
    )
    if not as_json:
        typer.echo(
            f"{f['messages']} messages via {f['broker']} broker, MQTT {mqtt_version}: "
            f"{f['msgs_per_s_per_core']} msg/s per core ({f['wall_msgs_per_s']} msg/s wall, "
            f"{f['cpu_s']} CPU s)\n"
            f"baseline, a stock aiomqtt subscriber doing nothing, same publisher and broker: "
            f"{f['baseline_msgs_per_s_per_core']} msg/s per core "
            f"({f['baseline_received']} received); tianwang / baseline {f['vs_baseline']}\n"
            f"alarms {f['alarms']} → incidents committed {f['incidents_committed']}: "
            f"p50 {f['alarm_latency_p50_ms']} ms, p99 {f['alarm_latency_p99_ms']} ms "
            f"(publish → consumer p99 {f['alarm_arrival_p99_ms']} ms, "
            f"commit p99 {f['alarm_commit_p99_ms']} ms)\n"
            f"malformed sent {f['malformed_sent']}, dead letters {f['dead_letters']}, lost {f['lost']}\n"
            f"publisher: {f['publisher_cpu_s']} CPU s, finished {f['publisher_late_s']} s "
            "after its schedule"
        )
    keys = (
        "messages",
        "mqtt_version",
        "msgs_per_s_per_core",
        "alarm_latency_p50_ms",
        "alarm_latency_p99_ms",
        "malformed_sent",
        "dead_letters",
        "lost",
    )
    typer.echo(json.dumps({k: f[k] for k in keys}))


@bench_app.command("incidents")
def incidents(
    detections: Annotated[
        int, typer.Option(min=10, max=100_000, help="Detections, each at its own camera.")
    ] = 2000,
    database_url: Annotated[
        str | None, typer.Option(help="Benchmark this database instead of a temporary SQLite file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
) -> None:
    """Detections → committed incidents → delivered to a local 一网管, with p99 latency."""
    from tianwang.bench_incidents import bench_incidents

    figures = asyncio.run(bench_incidents(detections, database_url))
    if not as_json:
        typer.echo(
            f"{figures['detections']} detections → {figures['incidents']} incidents at {figures['incidents_per_s']}/s; "
            f"delivered {figures['delivered_per_s']}/s ({figures['delivered_vs_raw_post']}x bare signed POSTs at "
            f"{figures['raw_post_per_s']}/s); detection → 2xx p50 {figures['detection_to_2xx_p50_ms']} ms, "
            f"p99 {figures['detection_to_2xx_p99_ms']} ms; lost {figures['lost']}"
        )
    keys = ("detections", "incidents_per_s", "delivered_per_s", "detection_to_2xx_p99_ms", "lost")
    typer.echo(json.dumps({k: figures[k] for k in keys}))


@bench_app.command("ingest")
def ingest(
    cameras: Annotated[int, typer.Option(min=1, max=2000, help="Simulated RTSP cameras.")] = 50,
    seconds: Annotated[float, typer.Option(min=2, max=3600, help="Measuring window per way.")] = 30,
    patrol_every: Annotated[
        float | None,
        typer.Option(help="Patrol decodes a key frame this often (ingest.patrol_every_s)."),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=0,
            max=64,
            help="Client processes each way's cameras are dealt over (0: one per core left "
            "to the clients, as `serve` runs a camera worker per core).",
        ),
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
) -> None:
    """CPU per camera-second of tianwang's patrol vs a receive-only floor, Frigate-style
    ffmpeg decoding and a cv2.VideoCapture thread per camera, on the same RTSP streams.
    Patrol runs with the service's settings (TIANWANG_* and the default config)."""
    from tianwang.bench_ingest import bench_ingest

    if patrol_every is not None:  # the patrol client process reads its settings from here
        os.environ["TIANWANG_INGEST__PATROL_EVERY_S"] = str(patrol_every)

    try:
        result = asyncio.run(bench_ingest(cameras, seconds, processes=processes))
    except RuntimeError as exc:
        typer.echo(f"bench ingest: {exc}", err=True)
        raise typer.Exit(1) from exc
    f = result["figures"]
    if not as_json:
        typer.echo(
            f"{cameras} cameras, 640x360 H.264 at 25 fps, key frame every 50; {seconds:g} s "
            f"each; the RTSP server on {result['rows'][0]['server_cores']} core(s), each way's "
            f"cameras dealt over {result['rows'][0]['processes']} client process(es) on the "
            f"other {result['rows'][0]['client_cores']}"
        )
        typer.echo(
            f"{'way':<8} {'client CPU ms/cam-s':>20} {'cams/core':>10} {'server ms/stream-s':>19}  counts"
        )
        for row in result["rows"]:
            ms = row["client_cpu_ms_per_camera_s"]
            typer.echo(
                f"{row['mode']:<8} {ms:>20.2f} {1000 / ms if ms else float('inf'):>10.1f} "
                f"{row['server_cpu_ms_per_stream_s']:>19.2f}  {row['counts']} "
                f"(flowing {row['flowing_at_start']}/{cameras} when the window opened; "
                f"{row['threads']:g} threads; kept up {row['kept_up']:.0%}"
                + (
                    f": at full rate {row['full_rate_cpu_ms_per_camera_s']:.1f} ms/cam-s"
                    if 0 < row["kept_up"] < 0.95
                    else ""
                )
                + ")"
            )
        typer.echo(
            "ratios of CPU at full rate: "
            f"patrol vs floor {f['patrol_vs_floor']}x; Frigate style / patrol "
            f"{f['patrol_vs_frigate_style']}x; OpenCV / patrol {f['patrol_vs_opencv']}x; "
            f"patrol memory {f['memory_mb_per_camera']} MB per camera"
        )
    typer.echo(json.dumps(f))


@bench_app.command("county")
def county(
    cameras: Annotated[int, typer.Option(min=2, max=20_000, help="Cameras registered.")] = 1067,
    streaming: Annotated[
        int, typer.Option(min=1, help="Of them, streaming from the RTSP simulator.")
    ] = 150,
    minutes: Annotated[float, typer.Option(min=0.1, help="Steady run before the outage.")] = 10,
    outage: Annotated[float, typer.Option(min=1, help="Seconds the RTSP server is down.")] = 60,
    pg_admin_url: Annotated[
        str | None,
        typer.Option(
            help="Run on PostgreSQL: a database of the bench's own is made on this server "
            "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and dropped after. "
            "Default: a SQLite file of its own."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
    config: ConfigOption = None,
) -> None:
    """The whole register in one process: reachable cameras analysed, unreachable ones
    offline with one incident each, recovery after an RTSP outage, resources after."""
    from tianwang.bench_county import bench_county

    settings = load_or_exit(config)
    figures = asyncio.run(
        bench_county(
            settings,
            cameras=cameras,
            streaming=streaming,
            minutes=minutes,
            outage_s=outage,
            progress=(lambda line: None) if as_json else typer.echo,
            pg_admin_url=pg_admin_url,
        )
    )
    if not as_json:
        for key, value in figures.items():
            typer.echo(f"{key:>40}  {value}")
    typer.echo(json.dumps(figures))


@bench_app.command("scale")
def scale(
    cameras: Annotated[int, typer.Option(min=3, max=5000, help="Cameras in the register.")] = 300,
    workers: Annotated[int, typer.Option(min=2, max=10, help="`tianwang worker` processes.")] = 3,
    real: Annotated[
        int, typer.Option(min=0, max=300, help="Cameras served by the RTSP simulator.")
    ] = 20,
    lease_s: Annotated[float, typer.Option(min=2, max=300, help="Lease time.")] = 10.0,
    admin_url: Annotated[
        str, typer.Option(help="PostgreSQL server (a database of the bench's own is made there).")
    ] = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    as_json: Annotated[bool, typer.Option("--json", help="Only the JSON line.")] = False,
    config: ConfigOption = None,
) -> None:
    """Workers sharing cameras through PostgreSQL leases: failover after a SIGKILL, load
    spread back, publisher failover with nothing lost, no camera analysed twice at once."""
    from tianwang.bench_scale import bench_scale

    settings = load_or_exit(config)
    say = (lambda line: None) if as_json else typer.echo
    f = asyncio.run(
        bench_scale(
            cameras,
            workers,
            real,
            lease_s=lease_s,
            renew_s=min(2.0, lease_s / 4),
            admin_url=admin_url,
            mqtt_host=settings.mqtt.host,
            mqtt_port=settings.mqtt.port,
            say=say,
        )
    )
    if not as_json:
        names = sorted({name for _, per in f["steps"] for name in per})
        typer.echo(f"{'step':<12}" + "".join(f"{name:>8}" for name in names) + f"{'total':>8}")
        for step, per in f["steps"]:
            cells = "".join(f"{per.get(name, 0):>8}" for name in names)
            typer.echo(f"{step:<12}{cells}{sum(per.values()):>8}")
        typer.echo(
            f"lease {lease_s:g} s: spread in {f['spread_s']} s; {f['killed_worker_cameras']} "
            f"cameras of the killed worker owned again in {f['failover_s']} s; spread back in "
            f"{f['rebalance_s']} s\n"
            f"publisher killed: lock taken over in {f['publisher_takeover_s']} s; "
            f"{f['incidents']} incidents in the outbox, {f['incidents_lost']} lost "
            f"({f['duplicates_dropped_by_receiver']} repeats dropped by 一网管)\n"
            f"clean stop of every worker in {f['stop_s']} s, leases still held after it: "
            f"{f['held_after_clean_stop']}; cameras analysed by two workers at once (analysis "
            f"spans): {f['double_owned']}; detections refused by fencing: {f['fenced_detections']}"
        )
    keys = ("workers", "cameras", "failover_s", "double_owned", "incidents_lost")
    typer.echo(json.dumps({k: f[k] for k in keys}))
