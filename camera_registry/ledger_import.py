"""Importing the camera ledger: upsert by GB/T 28181 ID, good rows in, bad rows named.

One transaction: with ``strict`` any bad row means nothing is written; with ``dry_run``
nothing is written either, and the report says what would have happened.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.camera_model import CameraIn
from camera_registry.camera_store import camera_row
from camera_registry.gb28181 import parse_device_id
from camera_registry.ledger_csv import LedgerRow, decode, read_rows, why
from camera_registry.places import PlaceResolver
from camera_registry.schema import cameras

# What a ledger line may change in an existing camera (never its analytics, status or site).
LEDGER_FIELDS = (
    "gb_id",
    "name",
    "grid_id",
    "site_type",
    "lat",
    "lon",
    "given_lat",
    "given_lon",
    "coord_system",
    "rtsp_main",
    "rtsp_sub",
    "vendor",
    "model",
    "installed_on",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A ledger line that was not imported, and why."""

    line: int
    gb_id: str
    error: str


@dataclass
class ImportReport:
    """What an import did (or, dry or refused, would have done)."""

    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    created_places: int = 0
    created: list[str] = field(default_factory=list)
    written: bool = False

    def summary(self) -> dict[str, Any]:
        """The machine-readable report: imported, updated, rejected, created_places."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "rejected": [asdict(r) for r in self.rejected],
            "created_places": self.created_places,
        }


async def import_ledger(
    engine: AsyncEngine,
    data: bytes,
    county_code: str,
    *,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Import a ledger file's bytes; LedgerError when the file as a whole is unreadable."""
    rows = read_rows(decode(data))
    report = ImportReport()
    async with engine.connect() as conn:
        transaction = await conn.begin()
        resolver = await PlaceResolver.load(conn, county_code)
        known = {
            gb: cid
            for gb, cid in (await conn.execute(sa.select(cameras.c.gb_id, cameras.c.id))).all()
        }
        first_line: dict[str, int] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for line, cells in rows:
            gb_id = cells.get("gb_id") or ""
            try:
                if "__error__" in cells:
                    raise ValueError(cells["__error__"])
                entry = LedgerRow.model_validate(cells)
                parse_device_id(entry.gb_id, county_code)
                if entry.gb_id in first_line:
                    raise ValueError(
                        f"gb_id appears again (first at line {first_line[entry.gb_id]})"
                    )
                grid_id = resolver.grid(entry.street, entry.community, entry.grid)
                values = camera_row(
                    CameraIn(
                        **entry.model_dump(exclude={"street", "community", "grid"}),
                        id=known.get(entry.gb_id),
                        grid_id=grid_id,
                    ),
                    county_code,
                )
            except (ValidationError, ValueError) as exc:
                report.rejected.append(Rejected(line, gb_id, why(exc)))
                continue
            first_line[entry.gb_id] = line
            if entry.gb_id in known:
                updates.append(_update_values(values))
            else:
                inserts.append(values)
        report.imported, report.updated = len(inserts), len(updates)
        report.created_places = resolver.created
        report.created = [
            p["name"]
            for p in (*resolver.new_streets, *resolver.new_communities, *resolver.new_grids)
        ]
        if dry_run or (strict and report.rejected):
            await transaction.rollback()
            return report
        await resolver.save(conn)
        if inserts:
            await conn.execute(sa.insert(cameras), inserts)
        for group in _by_keys(updates):
            keys = [k for k in group[0] if k != "b_id"]
            statement = (
                sa.update(cameras)
                .where(cameras.c.id == sa.bindparam("b_id"))
                .values({k: sa.bindparam(k) for k in keys})
            )
            await conn.execute(statement, group)
        await transaction.commit()
        report.written = True
    return report


def _update_values(values: dict[str, Any]) -> dict[str, Any]:
    """The columns a ledger line sets on an existing camera; credentials only when given."""
    changes = {k: values[k] for k in LEDGER_FIELDS}
    if values.get("rtsp_username"):
        changes["rtsp_username"] = values["rtsp_username"]
        changes["rtsp_password"] = values["rtsp_password"]
    changes["b_id"] = values["id"]
    return changes


def _by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())
