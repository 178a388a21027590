"""/api/v1/cameras: the register. No answer ever carries an RTSP user name or password.

A grid worker reads only the cameras of their own grids (others are 404 to them); the
ledger export, being the whole register, is not theirs to read.
"""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import CurrentPrincipal
from api.camera_scope import visible_camera
from api.dependencies import get_county_code, get_engine
from api.registry_answers import ledger_upload, refused
from camera_registry.camera_model import (
    CameraIn,
    CameraPatch,
    CameraRecord,
    CameraStatus,
    StatusChange,
)
from camera_registry.camera_store import (
    CameraFilter,
    CameraNotFound,
    RegistryError,
    create_camera,
    delete_camera,
    get_camera,
    list_cameras,
    status_history,
    update_camera,
)
from camera_registry.coordinates import wgs84_to_gcj02
from camera_registry.ledger_csv import LedgerError
from camera_registry.ledger_export import export_ledger
from camera_registry.ledger_import import import_ledger
from camera_registry.site_types import SiteType
from detectors.analytics_config import AnalyticsConfig

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]
County = Annotated[str, Depends(get_county_code)]
CameraT = TypeVar("CameraT", CameraIn, CameraPatch)


class Point(BaseModel):
    """A latitude/longitude pair."""

    lat: float
    lon: float


class CameraOut(CameraRecord):
    """A camera with its point also in GCJ-02, for Chinese map layers."""

    gcj02: Point | None = Field(description="the WGS-84 point converted to GCJ-02")


class CameraHealth(BaseModel):
    """A camera's status now and its history, newest first."""

    camera_id: str
    status: str
    status_since: Any
    status_reason: str | None
    history: list[StatusChange]


class ImportSummary(BaseModel):
    """What an import did: the same shape `tianwang cameras import --json` prints."""

    imported: int
    updated: int
    rejected: list[dict[str, Any]]
    created_places: int
    created: list[str]
    written: bool


def _out(camera: CameraRecord) -> CameraOut:
    gcj = None
    if camera.lat is not None and camera.lon is not None:
        lat, lon = wgs84_to_gcj02(camera.lat, camera.lon)
        gcj = Point(lat=round(lat, 7), lon=round(lon, 7))
    return CameraOut(**camera.model_dump(), gcj02=gcj)


def _checked_analytics(camera: CameraT) -> CameraT:
    """The camera with its analytics config validated and normalised (zones, lines)."""
    if camera.analytics is None:
        return camera
    try:
        config = AnalyticsConfig.model_validate(camera.analytics)
    except ValidationError as exc:
        detail = "; ".join(
            f"analytics.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        raise HTTPException(422, detail) from exc
    return camera.model_copy(update={"analytics": config.model_dump(mode="json")})


@router.get("", summary="List cameras, filtered and paginated")
async def get_cameras(
    engine: Engine,
    response: Response,
    principal: CurrentPrincipal,
    street: Annotated[str | None, Query(max_length=64, description="街道 name or code")] = None,
    community: Annotated[str | None, Query(max_length=64, description="社区 name or code")] = None,
    grid: Annotated[str | None, Query(max_length=32, description="网格 code")] = None,
    site_type: SiteType | None = None,
    status: CameraStatus | None = None,
    enabled: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[CameraOut]:
    """Cameras ordered by id; the total number matching is in ``X-Total-Count``.

    A grid worker gets only their own grids' cameras.
    """
    scope = principal.grid_scope
    if scope is not None and grid is None:
        pages = [
            await list_cameras(
                engine, CameraFilter(street, community, g, site_type, status, enabled)
            )
            for g in sorted(scope)
        ]
        found = sorted((c for page, _ in pages for c in page), key=lambda c: c.id)
        response.headers["X-Total-Count"] = str(len(found))
        return [_out(c) for c in found[offset : offset + limit]]
    if scope is not None and grid not in scope:
        response.headers["X-Total-Count"] = "0"
        return []
    f = CameraFilter(street, community, grid, site_type, status, enabled)
    page, total = await list_cameras(engine, f, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [_out(c) for c in page]


@router.post("", status_code=201, summary="Add a camera")
async def post_camera(camera: CameraIn, engine: Engine, county: County) -> CameraOut:
    """Add one camera; user info in an RTSP URL is kept apart and never shown."""
    try:
        return _out(await create_camera(engine, _checked_analytics(camera), county))
    except (RegistryError, ValueError) as exc:
        raise refused(exc) from exc


@router.get(
    "/export.csv",
    summary="The register as a ledger CSV (the import format)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def get_export(engine: Engine, principal: CurrentPrincipal) -> Response:
    """UTF-8 with BOM (so spreadsheets pick the encoding), formula-like cells neutralised."""
    if principal.grid_scope is not None:
        raise HTTPException(403, "the whole register is not a grid worker's to export")
    text = await export_ledger(engine)
    return Response(
        content="\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cameras.csv"'},
    )


@router.post("/import", summary="Import a camera ledger CSV (UTF-8 or GB18030)")
async def post_import(
    request: Request,
    engine: Engine,
    county: County,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportSummary:
    """The CSV is the request body. Good rows are upserted by gb_id; bad rows are listed."""
    data = await ledger_upload(request)
    try:
        report = await import_ledger(engine, data, county, dry_run=dry_run, strict=strict)
    except LedgerError as exc:
        raise HTTPException(400, str(exc)) from exc
    return ImportSummary(**report.summary(), created=report.created, written=report.written)


@router.get("/{camera_id}", summary="One camera")
async def get_one(camera_id: str, engine: Engine, principal: CurrentPrincipal) -> CameraOut:
    """The camera with this internal id."""
    await visible_camera(engine, principal, camera_id)
    try:
        return _out(await get_camera(engine, camera_id))
    except CameraNotFound as exc:
        raise refused(exc) from exc


@router.patch("/{camera_id}", summary="Change a camera")
async def patch_camera(
    camera_id: str, patch: CameraPatch, engine: Engine, county: County
) -> CameraOut:
    """Change only the fields given."""
    try:
        return _out(await update_camera(engine, camera_id, _checked_analytics(patch), county))
    except (RegistryError, ValueError) as exc:
        raise refused(exc) from exc


@router.delete("/{camera_id}", status_code=204, summary="Remove a camera")
async def remove_camera(camera_id: str, engine: Engine) -> Response:
    """Remove the camera and its status history."""
    try:
        await delete_camera(engine, camera_id)
    except CameraNotFound as exc:
        raise refused(exc) from exc
    return Response(status_code=204)


@router.get("/{camera_id}/health", summary="A camera's status and status history")
async def get_health(
    camera_id: str,
    engine: Engine,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CameraHealth:
    """Status now and its changes, newest first."""
    await visible_camera(engine, principal, camera_id)
    try:
        camera = await get_camera(engine, camera_id)
        history = await status_history(engine, camera_id, limit)
    except CameraNotFound as exc:
        raise refused(exc) from exc
    return CameraHealth(
        camera_id=camera.id,
        status=camera.status,
        status_since=camera.status_since,
        status_reason=camera.status_reason,
        history=history,
    )
