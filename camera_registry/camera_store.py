"""The camera register: list, read, add, change, remove cameras and keep their status history."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.camera_model import (
    CameraIn,
    CameraPatch,
    CameraRecord,
    CameraStatus,
    StatusChange,
)
from camera_registry.coordinates import to_wgs84
from camera_registry.credentials import strip_credentials, with_credentials
from camera_registry.gb28181 import parse_device_id
from camera_registry.schema import (
    camera_status_history,
    cameras,
    communities,
    grids,
    sites,
    streets,
)


class RegistryError(ValueError):
    """A change the register refuses; the message says why."""


class NotFound(RegistryError):
    """No record with that id."""


class Duplicate(RegistryError):
    """A record with that identity exists already."""


class CameraNotFound(NotFound):
    """No camera with that id."""


class DuplicateCamera(Duplicate):
    """A camera with that GB/T 28181 ID (or internal id) exists already."""


@dataclass(frozen=True, slots=True)
class CameraFilter:
    """Which cameras to list; None matches all. Street and community by name or code."""

    street: str | None = None
    community: str | None = None
    grid: str | None = None
    site_type: str | None = None
    status: str | None = None
    enabled: bool | None = None


_RECORD_COLUMNS = (
    *(
        c
        for c in cameras.c
        if c.name not in ("rtsp_username", "rtsp_password", "updated_at", "given_lat", "given_lon")
    ),
    (cameras.c.rtsp_username.is_not(None)).label("has_credentials"),
    grids.c.name.label("grid_name"),
    communities.c.name.label("community"),
    streets.c.name.label("street"),
)
_JOINED = (
    cameras.join(grids, cameras.c.grid_id == grids.c.id)
    .join(communities, grids.c.community_code == communities.c.code)
    .join(streets, communities.c.street_code == streets.c.code)
)


def _filtered(query: sa.Select[Any], f: CameraFilter) -> sa.Select[Any]:
    if f.street is not None:
        query = query.where(sa.or_(streets.c.name == f.street, streets.c.code == f.street))
    if f.community is not None:
        query = query.where(
            sa.or_(communities.c.name == f.community, communities.c.code == f.community)
        )
    if f.grid is not None:
        query = query.where(cameras.c.grid_id == f.grid)
    if f.site_type is not None:
        query = query.where(cameras.c.site_type == f.site_type)
    if f.status is not None:
        query = query.where(cameras.c.status == f.status)
    if f.enabled is not None:
        query = query.where(cameras.c.enabled == f.enabled)
    return query


async def list_cameras(
    engine: AsyncEngine,
    f: CameraFilter = CameraFilter(),
    *,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[CameraRecord], int]:
    """One page of cameras matching ``f`` ordered by id, and how many match in all."""
    query = _filtered(sa.select(*_RECORD_COLUMNS).select_from(_JOINED), f).order_by(cameras.c.id)
    count = _filtered(sa.select(sa.func.count()).select_from(_JOINED), f)
    async with engine.connect() as conn:
        total = int((await conn.execute(count)).scalar_one())
        rows = (await conn.execute(query.limit(limit).offset(offset))).mappings().all()
    return [CameraRecord.model_validate(dict(row)) for row in rows], total


async def get_camera(engine: AsyncEngine, camera_id: str) -> CameraRecord:
    """One camera; CameraNotFound when there is none."""
    query = sa.select(*_RECORD_COLUMNS).select_from(_JOINED).where(cameras.c.id == camera_id)
    async with engine.connect() as conn:
        row = (await conn.execute(query)).mappings().one_or_none()
    if row is None:
        raise CameraNotFound(f"no camera {camera_id}")
    return CameraRecord.model_validate(dict(row))


def camera_row(camera: CameraIn, county_code: str) -> dict[str, Any]:
    """The database row of a new camera: WGS-84 point, credentials apart from the URLs."""
    parse_device_id(camera.gb_id, county_code)
    row = camera.model_dump(exclude={"rtsp_password"})
    row["id"] = camera.id or f"cam-{camera.gb_id}"
    row["rtsp_password"] = camera.rtsp_password.get_secret_value() if camera.rtsp_password else None
    row["given_lat"], row["given_lon"] = camera.lat, camera.lon
    if camera.lat is not None and camera.lon is not None:
        row["lat"], row["lon"] = to_wgs84(camera.lat, camera.lon, camera.coord_system)
    for key in ("rtsp_main", "rtsp_sub"):
        bare, user, password = strip_credentials(row[key])
        row[key] = bare
        if user:
            row["rtsp_username"] = user
            row["rtsp_password"] = password
    row["updated_at"] = datetime.now(UTC)
    return row


async def create_camera(engine: AsyncEngine, camera: CameraIn, county_code: str) -> CameraRecord:
    """Add a camera; DuplicateCamera, RegistryError (unknown grid or site, wrong county)."""
    row = camera_row(camera, county_code)
    async with engine.begin() as conn:
        await _check_place(conn, row["grid_id"], row.get("site_id"))
        clash = await conn.execute(
            sa.select(cameras.c.id).where(
                sa.or_(cameras.c.gb_id == row["gb_id"], cameras.c.id == row["id"])
            )
        )
        if clash.first() is not None:
            raise DuplicateCamera(
                f"a camera with GB/T 28181 ID {row['gb_id']} or id {row['id']} exists"
            )
        await conn.execute(sa.insert(cameras).values(row))
    return await get_camera(engine, row["id"])


async def update_camera(
    engine: AsyncEngine, camera_id: str, patch: CameraPatch, county_code: str
) -> CameraRecord:
    """Change the fields given in ``patch``."""
    current = await get_camera(engine, camera_id)
    changes = patch.model_dump(exclude_unset=True, exclude={"rtsp_password"})
    if "rtsp_password" in patch.model_fields_set:
        changes["rtsp_password"] = (
            patch.rtsp_password.get_secret_value() if patch.rtsp_password else None
        )
    if "gb_id" in changes:
        parse_device_id(changes["gb_id"], county_code)
    system = changes.pop("coord_system", None) or "wgs84"  # the system of the lat/lon given
    if {"lat", "lon"} & changes.keys():
        if not {"lat", "lon"} <= changes.keys():
            raise RegistryError("give lat and lon together (in coord_system, default wgs84)")
        lat, lon = changes["lat"], changes["lon"]
        if lat is not None and lon is not None:
            changes["given_lat"], changes["given_lon"] = lat, lon
            changes["lat"], changes["lon"] = to_wgs84(lat, lon, system)
            changes["coord_system"] = system
    for key in ("rtsp_main", "rtsp_sub"):
        if changes.get(key):
            changes[key], user, password = strip_credentials(changes[key])
            if user:
                changes["rtsp_username"], changes["rtsp_password"] = user, password
    async with engine.begin() as conn:
        if "grid_id" in changes or "site_id" in changes:
            await _check_place(
                conn, changes.get("grid_id", current.grid_id), changes.get("site_id")
            )
        if "gb_id" in changes and changes["gb_id"] != current.gb_id:
            taken = await conn.execute(
                sa.select(cameras.c.id).where(cameras.c.gb_id == changes["gb_id"])
            )
            if taken.first() is not None:
                raise DuplicateCamera(f"a camera with GB/T 28181 ID {changes['gb_id']} exists")
        changes["updated_at"] = datetime.now(UTC)
        await conn.execute(sa.update(cameras).where(cameras.c.id == camera_id).values(changes))
    return await get_camera(engine, camera_id)


async def delete_camera(engine: AsyncEngine, camera_id: str) -> None:
    """Remove a camera and its status history; CameraNotFound when there is none."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.delete(camera_status_history).where(camera_status_history.c.camera_id == camera_id)
        )
        gone = await conn.execute(sa.delete(cameras).where(cameras.c.id == camera_id))
        if gone.rowcount == 0:
            raise CameraNotFound(f"no camera {camera_id}")


async def _check_place(conn: AsyncConnection, grid_id: str, site_id: str | None) -> None:
    if (await conn.execute(sa.select(grids.c.id).where(grids.c.id == grid_id))).first() is None:
        raise RegistryError(f"no grid {grid_id}")
    if site_id is not None:
        site = (await conn.execute(sa.select(sites.c.grid_id).where(sites.c.id == site_id))).first()
        if site is None:
            raise RegistryError(f"no site {site_id}")


async def set_camera_status(
    engine: AsyncEngine, camera_id: str, status: CameraStatus, reason: str | None = None
) -> bool:
    """Record a camera's status; a change moves ``status_since`` and adds a history entry."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        current = (
            await conn.execute(sa.select(cameras.c.status).where(cameras.c.id == camera_id))
        ).first()
        if current is None:
            raise CameraNotFound(f"no camera {camera_id}")
        changed = bool(current.status != status)
        values: dict[str, Any] = {"status": status, "status_reason": reason}
        if changed:
            values["status_since"] = now
            await conn.execute(
                sa.insert(camera_status_history).values(
                    camera_id=camera_id, status=status, reason=reason, at=now
                )
            )
        await conn.execute(sa.update(cameras).where(cameras.c.id == camera_id).values(values))
    return changed


async def set_camera_statuses(
    engine: AsyncEngine, changes: Sequence[tuple[str, CameraStatus, str | None]]
) -> set[str]:
    """Record many cameras' statuses (id, status, reason; each camera once) in one
    transaction; returns the ids whose status changed. A camera already in that status is
    left as it is (its reason too); an unknown id is skipped."""
    if not changes:
        return set()
    now = datetime.now(UTC)
    ids = [camera_id for camera_id, _, _ in changes]
    async with engine.begin() as conn:
        query = sa.select(cameras.c.id, cameras.c.status).where(cameras.c.id.in_(ids))
        current = {camera_id: status for camera_id, status in await conn.execute(query)}
        changed = [
            (camera_id, status, reason)
            for camera_id, status, reason in changes
            if camera_id in current and current[camera_id] != status
        ]
        if changed:
            await conn.execute(
                sa.insert(camera_status_history),
                [{"camera_id": c, "status": s, "reason": r, "at": now} for c, s, r in changed],
            )
            await conn.execute(
                sa.update(cameras)
                .where(cameras.c.id == sa.bindparam("camera"))
                .values(
                    status=sa.bindparam("new_status"),
                    status_reason=sa.bindparam("new_reason"),
                    status_since=now,
                ),
                [{"camera": c, "new_status": s, "new_reason": r} for c, s, r in changed],
            )
    return {camera_id for camera_id, _, _ in changed}


async def status_history(
    engine: AsyncEngine, camera_id: str, limit: int = 100
) -> list[StatusChange]:
    """A camera's status changes, newest first."""
    await get_camera(engine, camera_id)
    query = (
        sa.select(
            camera_status_history.c.status,
            camera_status_history.c.reason,
            camera_status_history.c.at,
        )
        .where(camera_status_history.c.camera_id == camera_id)
        .order_by(camera_status_history.c.at.desc(), camera_status_history.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [StatusChange.model_validate(dict(r)) for r in rows]


async def open_url(engine: AsyncEngine, camera_id: str, *, main: bool = False) -> str:
    """The URL ingest opens (sub-stream unless ``main``), credentials included. Never log it."""
    column = cameras.c.rtsp_main if main else cameras.c.rtsp_sub
    query = sa.select(column.label("url"), cameras.c.rtsp_username, cameras.c.rtsp_password)
    async with engine.connect() as conn:
        row = (await conn.execute(query.where(cameras.c.id == camera_id))).one()
    return with_credentials(row.url, row.rtsp_username, row.rtsp_password)


async def set_stream_url(engine: AsyncEngine, camera_id: str, url: str) -> None:
    """Point a camera's sub-stream at ``url``; user info in it becomes the credentials."""
    bare, user, password = strip_credentials(url)
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(cameras)
            .where(cameras.c.id == camera_id)
            .values(
                rtsp_sub=bare,
                rtsp_username=user,
                rtsp_password=password,
                updated_at=datetime.now(UTC),
            )
        )
