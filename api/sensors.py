"""/api/v1/sensors: the sensor register, with the cameras covering each sensor's building."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from api.dependencies import get_county_code, get_engine
from api.registry_answers import ledger_upload, refused
from camera_registry.camera_store import RegistryError
from camera_registry.ledger_csv import LedgerError
from camera_registry.sensor_ledger import SensorImportReport, import_sensor_ledger
from camera_registry.sensor_store import (
    SensorFilter,
    SensorIn,
    SensorNotFound,
    SensorPatch,
    SensorRecord,
    create_sensor,
    get_sensor,
    page_sensors,
    update_sensor,
)

router = APIRouter(prefix="/api/v1/sensors", tags=["sensors"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]
County = Annotated[str, Depends(get_county_code)]


@router.get("", summary="List sensors, filtered and paginated")
async def get_sensors(
    engine: Engine,
    response: Response,
    grid: Annotated[str | None, Query(max_length=32, description="网格 code")] = None,
    site: Annotated[str | None, Query(max_length=64, description="building or site id")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[SensorRecord]:
    """Sensors ordered by id; the total number matching is in ``X-Total-Count``."""
    page, total = await page_sensors(
        engine, SensorFilter(grid, site, kind), limit=limit, offset=offset
    )
    response.headers["X-Total-Count"] = str(total)
    return page


@router.post("", status_code=201, summary="Add a sensor")
async def post_sensor(sensor: SensorIn, engine: Engine) -> SensorRecord:
    """Add one sensor in a known grid (and site)."""
    try:
        return await create_sensor(engine, sensor)
    except (RegistryError, ValueError) as exc:
        raise refused(exc) from exc


@router.post("/import", summary="Import a sensor ledger CSV (UTF-8 or GB18030)")
async def post_import(
    request: Request, engine: Engine, county: County, dry_run: bool = False, strict: bool = False
) -> SensorImportReport:
    """The CSV is the request body; good rows are upserted by id, bad rows are listed."""
    data = await ledger_upload(request)
    try:
        return await import_sensor_ledger(engine, data, county, dry_run=dry_run, strict=strict)
    except LedgerError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.get("/{sensor_id}", summary="One sensor")
async def get_one(sensor_id: str, engine: Engine) -> SensorRecord:
    """The sensor with this id, with the cameras covering its building."""
    try:
        return await get_sensor(engine, sensor_id)
    except SensorNotFound as exc:
        raise refused(exc) from exc


@router.patch("/{sensor_id}", summary="Change a sensor")
async def patch_sensor(sensor_id: str, patch: SensorPatch, engine: Engine) -> SensorRecord:
    """Change only the fields given."""
    try:
        return await update_sensor(engine, sensor_id, patch)
    except (RegistryError, ValueError) as exc:
        raise refused(exc) from exc
