"""Importing the sensor ledger CSV: upsert by sensor id, good rows in, bad rows named.

Same file rules as the camera ledger (camera_registry/ledger_csv.py): UTF-8 with or
without BOM or GB18030; places by 街道 / 社区 / 网格 name or code, created when new.
"""

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.ledger_csv import decode, read_rows, why
from camera_registry.places import PlaceResolver
from camera_registry.schema import sensors, sites
from camera_registry.sensor_schema import sensor_details
from camera_registry.sensor_store import SensorIn, split_row

COLUMNS = (
    "id",
    "kind",
    "street",
    "community",
    "grid",
    "site",
    "building",
    "lat",
    "lon",
    "name",
    "profile",
    "heartbeat_s",
)
REQUIRED = frozenset({"id", "kind", "street", "community", "grid"})


class RejectedRow(BaseModel):
    """A ledger line that was not imported, and why."""

    line: int
    id: str
    error: str


class SensorImportReport(BaseModel):
    """What an import did (or, dry or refused, would have done)."""

    imported: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = []
    created_places: int = 0
    written: bool = False


async def import_sensor_ledger(
    engine: AsyncEngine,
    data: bytes,
    county_code: str,
    *,
    dry_run: bool = False,
    strict: bool = False,
) -> SensorImportReport:
    """Import a sensor ledger's bytes; LedgerError when the file as a whole is unreadable."""
    rows = read_rows(decode(data), COLUMNS, REQUIRED)
    report = SensorImportReport()
    async with engine.connect() as conn:
        transaction = await conn.begin()
        resolver = await PlaceResolver.load(conn, county_code)
        known = set((await conn.execute(sa.select(sensors.c.id))).scalars())
        site_ids = set((await conn.execute(sa.select(sites.c.id))).scalars())
        seen: set[str] = set()
        inserts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        updates: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for line, cells in rows:
            sensor_id = cells.get("id") or ""
            try:
                if "__error__" in cells:
                    raise ValueError(cells["__error__"])
                if sensor_id in seen:
                    raise ValueError("id appears twice in the file")
                site = cells.get("site")
                if site is not None and site not in site_ids:
                    raise ValueError(f"no site {site}")
                grid_id = resolver.grid(
                    cells["street"] or "", cells["community"] or "", cells["grid"] or ""
                )
                fields = {
                    k: v
                    for k, v in cells.items()
                    if k not in ("street", "community", "grid", "site")
                }
                sensor = SensorIn.model_validate(fields | {"grid_id": grid_id, "site_id": site})
            except (ValidationError, ValueError, KeyError) as exc:
                report.rejected.append(RejectedRow(line=line, id=sensor_id, error=why(exc)))
                continue
            seen.add(sensor_id)
            (updates if sensor_id in known else inserts).append(split_row(sensor))
        report.imported, report.updated = len(inserts), len(updates)
        report.created_places = resolver.created
        if dry_run or (strict and report.rejected):
            await transaction.rollback()
            return report
        await resolver.save(conn)
        if inserts:
            await conn.execute(sa.insert(sensors), [base for base, _ in inserts])
            await conn.execute(sa.insert(sensor_details), [detail for _, detail in inserts])
        for base, detail in updates:
            sid = base.pop("id")
            await conn.execute(sa.update(sensors).where(sensors.c.id == sid).values(base))
            detail.pop("sensor_id")
            done = await conn.execute(
                sa.update(sensor_details).where(sensor_details.c.sensor_id == sid).values(detail)
            )
            if done.rowcount == 0:
                await conn.execute(sa.insert(sensor_details).values(sensor_id=sid, **detail))
        await transaction.commit()
        report.written = True
    return report
