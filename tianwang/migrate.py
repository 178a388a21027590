"""Applying the Alembic migrations that create every room's tables."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def all_metadata() -> sa.MetaData:
    """The shared MetaData with every room's tables on it (the migrations must match it)."""
    import api.auth_schema  # noqa: F401
    import camera_registry.lease_schema
    import camera_registry.sensor_schema  # noqa: F401
    import incidents.schema  # noqa: F401  (each import adds its room's tables)
    import ingest.dead_letters  # noqa: F401
    from camera_registry.schema import metadata

    return metadata


def alembic_config() -> Config:
    """The Alembic configuration pointing at this package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade_on(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply the Alembic migrations up to ``revision`` (every branch head by default)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_on, revision)
