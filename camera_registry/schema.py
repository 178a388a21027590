"""Tables of the registry, and the shared MetaData every room adds its tables to.

One schema, two engines (SQLite for the embedded default, PostgreSQL for a fleet);
the Alembic migrations in ``camera_registry/migrations`` create exactly these tables.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

grids = sa.Table(
    "grids",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True, comment="网格 code"),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("street", sa.String(64), nullable=False, comment="街道"),
    sa.Column("community", sa.String(64), nullable=False, comment="社区"),
)

cameras = sa.Table(
    "cameras",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("gb_id", sa.String(20), nullable=False, unique=True, comment="GB/T 28181 device ID"),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False),
    sa.Column("lat", sa.Float, nullable=True, comment="WGS-84"),
    sa.Column("lon", sa.Float, nullable=True, comment="WGS-84"),
    sa.Column("stream_url", sa.String(512), nullable=False, comment="sub-stream, no credentials"),
    sa.Column("rtsp_username", sa.String(128), nullable=True),
    sa.Column("rtsp_password", sa.String(256), nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(16), nullable=False, server_default="unknown"),
    sa.Column("status_since", UtcDateTime, nullable=True),
    sa.Column("status_reason", sa.String(256), nullable=True),
)

sensors = sa.Table(
    "sensors",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, comment="smoke, heat, gas, water, bin, door"),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False),
    sa.Column("building", sa.String(128), nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=True),
)
