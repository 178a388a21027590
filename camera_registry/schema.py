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

streets = sa.Table(
    "streets",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True, comment="街道 code"),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
)

communities = sa.Table(
    "communities",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True, comment="社区 code"),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("street_code", sa.String(32), sa.ForeignKey("streets.code"), nullable=False),
    sa.UniqueConstraint("street_code", "name", name="uq_communities_street_name"),
)

grids = sa.Table(
    "grids",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True, comment="网格 code"),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("community_code", sa.String(32), sa.ForeignKey("communities.code"), nullable=False),
    sa.UniqueConstraint("community_code", "name", name="uq_grids_community_name"),
)

grid_workers = sa.Table(
    "grid_workers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False, comment="网格员"),
    sa.Column("phone", sa.String(32), nullable=True),
    sa.Column("mqtt_topic", sa.String(256), nullable=True),
    sa.Column("webhook_url", sa.String(512), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("site_type", sa.String(32), nullable=False, comment="compound, building, plaza, ..."),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False, index=True),
    sa.Column("parent_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=True),
    sa.Column("lat", sa.Float, nullable=True, comment="WGS-84"),
    sa.Column("lon", sa.Float, nullable=True, comment="WGS-84"),
)

cameras = sa.Table(
    "cameras",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("gb_id", sa.String(20), nullable=False, unique=True, comment="GB/T 28181 device ID"),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False, index=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=True),
    sa.Column("site_type", sa.String(32), nullable=False, server_default="road", index=True),
    sa.Column("lat", sa.Float, nullable=True, comment="WGS-84"),
    sa.Column("lon", sa.Float, nullable=True, comment="WGS-84"),
    sa.Column("given_lat", sa.Float, nullable=True, comment="as the installer gave it"),
    sa.Column("given_lon", sa.Float, nullable=True, comment="as the installer gave it"),
    sa.Column(
        "coord_system",
        sa.String(8),
        nullable=False,
        server_default="wgs84",
        comment="the system the installer gave: wgs84, gcj02 or bd09",
    ),
    sa.Column(
        "rtsp_main", sa.String(512), nullable=False, server_default="", comment="no credentials"
    ),
    sa.Column(
        "rtsp_sub", sa.String(512), nullable=False, server_default="", comment="no credentials"
    ),
    sa.Column("rtsp_username", sa.String(128), nullable=True),
    sa.Column("rtsp_password", sa.String(256), nullable=True),
    sa.Column("vendor", sa.String(64), nullable=True),
    sa.Column("model", sa.String(64), nullable=True),
    sa.Column("installed_on", sa.Date, nullable=True),
    sa.Column("analytics", sa.JSON, nullable=True, comment="zones and lines for the detectors"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(16), nullable=False, server_default="unknown", index=True),
    sa.Column("status_since", UtcDateTime, nullable=True),
    sa.Column("status_reason", sa.String(256), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
)

camera_status_history = sa.Table(
    "camera_status_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "camera_id",
        sa.String(64),
        sa.ForeignKey("cameras.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(256), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_camera_status_history_camera_at", "camera_id", "at"),
)

camera_coverage = sa.Table(
    "camera_coverage",
    metadata,
    sa.Column(
        "camera_id",
        sa.String(64),
        sa.ForeignKey("cameras.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "site_id", sa.String(64), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    ),
    comment="which cameras see which building or site (for fusion and sensor-driven focus)",
)

sensors = sa.Table(
    "sensors",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, comment="smoke, heat, gas, water, bin, door"),
    sa.Column("grid_id", sa.String(32), sa.ForeignKey("grids.id"), nullable=False),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.id"), nullable=True),
    sa.Column("building", sa.String(128), nullable=True),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=True),
)
