"""/api/v1/snapshots: the JPEG evidence of detections, served from the snapshot folder only."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

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
async def get_snapshot(relative: str, request: Request) -> FileResponse:
    """The JPEG at this path under the snapshot folder."""
    root: Path | None = request.app.state.snapshot_dir
    path = snapshot_path(root, relative) if root is not None else None
    if path is None or not path.is_file():
        raise HTTPException(404, "no such snapshot")
    return FileResponse(path, media_type="image/jpeg")
