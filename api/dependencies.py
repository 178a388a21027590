"""What routes are handed: the database engine, put on app.state by create_app."""

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine


def get_engine(request: Request) -> AsyncEngine:
    """The registry/incidents database engine of this app."""
    engine: AsyncEngine = request.app.state.engine
    return engine
