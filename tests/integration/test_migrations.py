"""The Alembic migrations create exactly the tables the code declares, on both engines."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from tianwang.migrate import all_metadata, upgrade

pytestmark = pytest.mark.integration


async def test_migrations_match_the_declared_schema(any_engine: AsyncEngine) -> None:
    await upgrade(any_engine)  # again: a no-op
    async with any_engine.connect() as conn:
        differences = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), all_metadata())
        )
    assert differences == []
