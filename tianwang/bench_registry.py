"""`tianwang bench registry`: how fast the register answers filtered lists at county scale.

Builds a throw-away database with the Dejiang places and a generated ledger of N cameras,
then times filtered ``GET /api/v1/cameras`` pages through the real FastAPI app (in
process, no network), against a baseline of unfiltered pages run in the same process.
"""

import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.auth_model import Role
from api.auth_store import token_for
from camera_registry.database import open_engine
from camera_registry.ledger_csv import write_rows
from camera_registry.ledger_generator import generate_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.place_seed import load_places, read_places
from config.settings import SAMPLE_DIR
from tianwang.migrate import upgrade

COUNTY = "520626"


@dataclass(frozen=True, slots=True)
class Latency:
    """Milliseconds per request."""

    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, samples: list[float]) -> "Latency":
        """p50 and p95 of ``samples`` (seconds)."""
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return cls(round(statistics.median(ordered) * 1000, 2), round(p95 * 1000, 2))


def _filters(rows: list[dict[str, Any]], count: int, rng: random.Random) -> list[dict[str, str]]:
    """A realistic mix of the inventory manager's filters, drawn from the ledger itself."""
    sample = rng.choices(rows, k=count)
    kinds = ("street", "community", "site_type", "status", "street+site_type")
    queries = []
    for i, row in enumerate(sample):
        kind = kinds[i % len(kinds)]
        if kind == "street":
            queries.append({"street": row["street"]})
        elif kind == "community":
            queries.append({"community": row["community"]})
        elif kind == "site_type":
            queries.append({"site_type": row["site_type"]})
        elif kind == "status":
            queries.append({"status": rng.choice(("online", "offline", "unknown"))})
        else:
            queries.append({"street": row["street"], "site_type": row["site_type"]})
    return queries


async def _timed(client: httpx.AsyncClient, params: dict[str, str]) -> float:
    start = time.perf_counter()
    answer = await client.get("/api/v1/cameras", params=params)
    elapsed = time.perf_counter() - start
    answer.raise_for_status()
    return elapsed


async def bench_registry(
    cameras: int, queries: int, database_url: str | None = None, seed: int = 0
) -> dict[str, Any]:
    """Run the benchmark; returns the figures (see README for what they mean)."""
    rng = random.Random(seed)
    places = read_places(SAMPLE_DIR / "dejiang_places.yaml")
    rows = generate_ledger(cameras, places, seed)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            await upgrade(engine)
            await load_places(engine, places)
            start = time.perf_counter()
            report = await import_ledger(engine, write_rows(rows).encode(), COUNTY)
            import_s = time.perf_counter() - start
            transport = httpx.ASGITransport(app=create_app(engine, COUNTY))
            token = await token_for(engine, "bench", Role.viewer)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://bench",
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                for params in _filters(rows, 20, rng):  # warm-up
                    await _timed(client, params | {"limit": "100"})
                baseline = [
                    await _timed(
                        client, {"limit": "100", "offset": str(rng.randrange(0, cameras, 100))}
                    )
                    for _ in range(queries)
                ]
                filtered = [
                    await _timed(client, p | {"limit": "100"}) for p in _filters(rows, queries, rng)
                ]
        finally:
            await engine.dispose()
    base, filt = Latency.of(baseline), Latency.of(filtered)
    return {
        "cameras": report.imported,
        "queries": queries,
        "import_s": round(import_s, 3),
        "baseline_p50_ms": base.p50_ms,
        "baseline_p95_ms": base.p95_ms,
        "filtered_p50_ms": filt.p50_ms,
        "filtered_p95_ms": filt.p95_ms,
        "filtered_vs_baseline_p50": round(filt.p50_ms / base.p50_ms, 2) if base.p50_ms else None,
        "database": "postgresql"
        if database_url and database_url.startswith("postgresql")
        else "sqlite",
    }
