"""A camera worker's own /metrics, for a worker that runs no API.

Each process keeps its own Prometheus counters: the per-camera figures of the cameras a
worker holds (packets, decoded frames, CPU, focus, reconnects, last packet) live only in
that worker. ``tianwang serve`` answers /metrics for itself (behind a token); a worker
without the API serves its figures on a port of its own, bound to localhost by default,
so Prometheus scrapes each worker as a target of its own and the figures are per worker
by the target's labels. ``tianwang_worker_info`` names it.
"""

import logging

from prometheus_client import Info, start_http_server

log = logging.getLogger(__name__)

WORKER = Info("tianwang_worker", "This camera worker process.")


def serve_worker_metrics(host: str, port: int, name: str = "") -> None:
    """Serve this process's metrics on ``host:port`` (a daemon thread); a port in use is
    logged and the worker runs on without its metrics."""
    if name:
        WORKER.info({"name": name})
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.error("worker metrics: cannot listen on %s:%d: %s", host, port, exc)
        return
    log.info("worker metrics on http://%s:%d/metrics", host, port)
