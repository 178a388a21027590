"""The camera ledger as CSV: reading what spreadsheets export, writing what they open safely.

Chinese spreadsheet software saves CSV as GB18030 (or GBK, its subset) or as UTF-8 with
a byte-order mark; both are read. Cells written out that begin with ``= + - @`` (or a
tab or carriage return) are prefixed with ``'`` so a spreadsheet shows them as text
instead of running them as formulas (OWASP, "CSV Injection"); reading strips that prefix
again, so export and import round-trip.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from camera_registry.camera_model import CoordSystem, RtspUrl
from camera_registry.gb28181 import parse_device_id
from camera_registry.site_types import SiteType

COLUMNS = (
    "gb_id",
    "name",
    "street",
    "community",
    "grid",
    "site_type",
    "lat",
    "lon",
    "coord_system",
    "rtsp_main",
    "rtsp_sub",
    "vendor",
    "model",
    "installed_on",
)
REQUIRED = frozenset({"gb_id", "name", "street", "community", "grid"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LedgerError(ValueError):
    """The file as a whole cannot be read (encoding, header); nothing is imported."""


class LedgerRow(BaseModel):
    """One ledger line, validated. Empty cells are None."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    gb_id: str
    name: str = Field(min_length=1, max_length=128)
    street: str = Field(min_length=1, max_length=64)
    community: str = Field(min_length=1, max_length=64)
    grid: str = Field(min_length=1, max_length=128)
    site_type: SiteType = "road"
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    coord_system: CoordSystem = "wgs84"
    rtsp_main: RtspUrl = ""
    rtsp_sub: RtspUrl = ""
    vendor: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=64)
    installed_on: date | None = None

    @field_validator("gb_id")
    @classmethod
    def _gb_id(cls, value: str) -> str:
        parse_device_id(value)
        return value

    @field_validator("rtsp_main", "rtsp_sub", mode="before")
    @classmethod
    def _empty_url(cls, value: str | None) -> str:
        return value or ""


def decode(data: bytes) -> str:
    """The text of a ledger file: UTF-8 (with or without BOM), else GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise LedgerError(f"the file is neither UTF-8 nor GB18030 (byte {exc.start})") from exc


def _plain(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] in _FORMULA_START and cell[1:2] != "":
        return cell[1:]
    return cell


def read_rows(
    text: str, columns: tuple[str, ...] = COLUMNS, required: frozenset[str] = REQUIRED
) -> list[tuple[int, dict[str, str | None]]]:
    """(line number, cells) for every data line; LedgerError for a bad header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise LedgerError("the file is empty: expected a header line") from exc
    unknown = [h for h in header if h not in columns]
    missing = sorted(required - set(header))
    doubled = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or doubled:
        parts = []
        if unknown:
            parts.append(f"unknown columns {unknown}")
        if missing:
            parts.append(f"missing columns {missing}")
        if doubled:
            parts.append(f"repeated columns {doubled}")
        raise LedgerError("bad header: " + "; ".join(parts) + f". Allowed: {', '.join(columns)}")
    rows: list[tuple[int, dict[str, str | None]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        line = reader.line_num
        if len(cells) != len(header):
            rows.append((line, {"__error__": f"{len(cells)} cells, header has {len(header)}"}))
            continue
        rows.append(
            (line, {h: (_plain(c.strip()) or None) for h, c in zip(header, cells, strict=True)})
        )
    return rows


def why(exc: Exception) -> str:
    """A row's problem in one line: each invalid field and what is wrong with it."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def neutralise(value: Any) -> str:
    """A cell a spreadsheet shows as text, never as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_rows(rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text with the ledger header, every cell neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row.get(c)) for c in COLUMNS])
    return out.getvalue()
