"""Listening addresses of the API and the stand-in 一网管 receiver."""

from pydantic import Field

from config.base import Section


class ListenSettings(Section):
    """A host and port to listen on."""

    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
