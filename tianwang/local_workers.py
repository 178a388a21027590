"""`tianwang serve` on one machine: one camera worker per core.

Decoding and analysing run Python code between PyAV calls, so one process uses about one
core. ``serve`` therefore starts ``count - 1`` extra ``tianwang worker`` processes beside
itself; all of them share the register's cameras through the same leases as a fleet of
machines does (camera_registry/leases.py). The extra workers leave the sensors to ``serve`` itself (one consumer
takes thousands of messages a second, and a broker without MQTT 5 shared subscriptions
would hand each consumer every message). A worker that dies is started again after a pause; each dies with the
``serve`` that started it (Linux parent-death signal), so a killed ``serve`` leaves no
orphan holding leases.
"""

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

log = logging.getLogger(__name__)

RESTART_AFTER_S = 2.0
_PR_SET_PDEATHSIG = 1


def worker_count(configured: int) -> int:
    """How many camera worker processes in all: ``configured``, or one per core for 0.

    On SQLite too: one process holding all 150 streaming cameras of `bench county` (and the
    917 unreachable ones) opened their offline incidents one every 3 s (69 offline at 215
    s), every statement's round trip to the database thread waiting for the GIL behind 150
    camera threads; two processes are no cure either (see the README), but share the wait.
    """
    return configured if configured > 0 else max(1, len(os.sched_getaffinity(0)))


def die_with_parent() -> None:
    """In a child between fork and exec: ask Linux to SIGTERM it when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def _keep_running(name: str, config: Path | None, metrics_port: int | None) -> None:
    tianwang = str(Path(sys.executable).with_name("tianwang"))
    command = [tianwang, "worker", "--name", name, "--no-sensors"]
    if config is not None:
        command += ["--config", str(config)]
    env = dict(os.environ)
    if metrics_port is not None:
        env["TIANWANG_FLEET__METRICS_PORT"] = str(metrics_port)
    while True:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, preexec_fn=die_with_parent
        )
        try:
            code = await process.wait()
        except asyncio.CancelledError:
            if process.returncode is None:
                process.terminate()  # a clean stop frees its leases
                try:
                    async with asyncio.timeout(15):
                        await process.wait()
                except TimeoutError:
                    process.kill()
                    await process.wait()
            raise
        log.error("local worker %s exited with %s; starting it again", name, code)
        await asyncio.sleep(RESTART_AFTER_S)


@contextlib.asynccontextmanager
async def local_workers(
    base_name: str, extra: int, config: Path | None, metrics_port: int | None = None
) -> AsyncIterator[list[str]]:
    """Run ``extra`` worker processes named ``{base_name}-w{n}`` while the block runs; with
    ``metrics_port``, worker n serves its /metrics on ``metrics_port + n``."""
    names = [f"{base_name}-w{n}" for n in range(1, extra + 1)]
    tasks = [
        asyncio.create_task(
            _keep_running(name, config, None if metrics_port is None else metrics_port + n),
            name=name,
        )
        for n, name in enumerate(names, start=1)
    ]
    if names:
        log.info("local camera workers: %s", ", ".join(names))
    try:
        yield names
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
