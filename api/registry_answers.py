"""How the register's refusals and uploads look over HTTP, for every register route."""

from fastapi import HTTPException, Request

from camera_registry.camera_store import Duplicate, NotFound

MAX_LEDGER_BYTES = 20 * 1024 * 1024


def refused(exc: ValueError) -> HTTPException:
    """404 for an unknown id, 409 for a duplicate, 422 for anything else the register refuses."""
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, Duplicate):
        return HTTPException(409, str(exc))
    return HTTPException(422, str(exc))


async def ledger_upload(request: Request, limit: int = MAX_LEDGER_BYTES) -> bytes:
    """The request body of a ledger upload; 413 past ``limit`` bytes (read no further)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"ledger larger than {limit} bytes")
    return bytes(data)
