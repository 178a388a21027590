"""The operator's console: plain HTML, CSS and JS from api/console/, no CDN, no build step.

The files hold no data; everything they show comes from the API with the user's session.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

CONSOLE_DIR = Path(__file__).with_name("console")

router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> RedirectResponse:
    """The console is the front page."""
    return RedirectResponse("/console/")


def console_files() -> StaticFiles:
    """The console's static files (index.html for the folder)."""
    return StaticFiles(directory=CONSOLE_DIR, html=True)
