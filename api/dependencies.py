"""What routes are handed: the database engine and the county, put on app.state by create_app."""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from incidents.versions import Publication


def get_engine(request: Request) -> AsyncEngine:
    """The registry/incidents database engine of this app."""
    engine: AsyncEngine = request.app.state.engine
    return engine


def get_county_code(request: Request) -> str:
    """The county's administrative code (GB/T 28181 IDs must start with it)."""
    code: str = request.app.state.county_code
    return code


def get_publication(request: Request) -> Publication:
    """How messages sent on an incident transition are stamped."""
    publication: Publication = request.app.state.publication
    return publication
