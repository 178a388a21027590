"""/api/v1/snapshots: the JPEG evidence of detections, served from the snapshot folder only.

Snapshots are filed as ``{camera_id}/{time}-{kind}.jpg``, so a grid worker is served only
those of cameras in their own grids (another grid's is a 404, as if it did not exist).
"""

import posixpath
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from api.auth import CurrentPrincipal
from api.camera_scope import camera_grid

router = APIRouter(prefix="/api/v1/snapshots", tags=["evidence"])


def snapshot_path(root: Path, relative: str) -> Path | None:
    """``relative`` inside ``root``, or None when it would leave it (or is not a JPEG)."""
    candidate = (root / relative).resolve()
    if candidate.suffix.lower() not in (".jpg", ".jpeg") or not candidate.is_relative_to(
        root.resolve()
    ):
        return None
    return candidate


@router.get("/{relative:path}", summary="One snapshot")
async def get_snapshot(
    relative: str, request: Request, principal: CurrentPrincipal
) -> FileResponse:
    """The JPEG at this path under the snapshot folder."""
    root: Path | None = request.app.state.snapshot_dir
    path = snapshot_path(root, relative) if root is not None else None
    if path is None or not path.is_file():
        raise HTTPException(404, "no such snapshot")
    if principal.grid_scope is not None:
        camera_id = PurePosixPath(posixpath.normpath(relative)).parts[0]  # stays inside root
        if not principal.sees_grid(await camera_grid(request.app.state.engine, camera_id)):
            raise HTTPException(404, "no such snapshot")
    return FileResponse(path, media_type="image/jpeg")
