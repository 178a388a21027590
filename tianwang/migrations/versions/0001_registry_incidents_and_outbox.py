"""registry, incidents and outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:58:34.639791
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "type", sa.String(length=64), nullable=False, comment="fire, smoke, sensor.smoke, ..."
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False, comment="CAP 1.2 severity"),
        sa.Column("source_kind", sa.String(length=16), nullable=False, comment="camera or sensor"),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detections", sa.Integer(), server_default="1", nullable=False),
        sa.Column("peak_confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False, comment="box, snapshot, reading ..."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_active", ["source_kind", "source_id", "type", "status"], unique=False
        )

    op.create_table(
        "streets",
        sa.Column("code", sa.String(length=32), nullable=False, comment="街道 code"),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_streets")),
        sa.UniqueConstraint("name", name=op.f("uq_streets_name")),
    )
    op.create_table(
        "communities",
        sa.Column("code", sa.String(length=32), nullable=False, comment="社区 code"),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("street_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_code"], ["streets.code"], name=op.f("fk_communities_street_code_streets")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_communities")),
        sa.UniqueConstraint("street_code", "name", name="uq_communities_street_name"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False, comment="Idempotency-Key"),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False, comment="yiwangguan"),
        sa.Column("payload", sa.JSON(), nullable=False, comment="the CloudEvent, as sent"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_outbox_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending", ["delivered_at", "next_attempt_at"], unique=False
        )

    op.create_table(
        "grids",
        sa.Column("id", sa.String(length=32), nullable=False, comment="网格 code"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("community_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["communities.code"],
            name=op.f("fk_grids_community_code_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
        sa.UniqueConstraint("community_code", "name", name="uq_grids_community_name"),
    )
    op.create_table(
        "grid_workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False, comment="网格员"),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("mqtt_topic", sa.String(length=256), nullable=True),
        sa.Column("webhook_url", sa.String(length=512), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_grid_workers_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_workers")),
    )
    with op.batch_alter_table("grid_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grid_workers_grid_id"), ["grid_id"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "site_type",
            sa.String(length=32),
            nullable=False,
            comment="compound, building, plaza, ...",
        ),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True, comment="WGS-84"),
        sa.Column("lon", sa.Float(), nullable=True, comment="WGS-84"),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_sites_grid_id_grids")),
        sa.ForeignKeyConstraint(["parent_id"], ["sites.id"], name=op.f("fk_sites_parent_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_grid_id"), ["grid_id"], unique=False)

    op.create_table(
        "cameras",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("gb_id", sa.String(length=20), nullable=False, comment="GB/T 28181 device ID"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("site_type", sa.String(length=32), server_default="road", nullable=False),
        sa.Column("lat", sa.Float(), nullable=True, comment="WGS-84"),
        sa.Column("lon", sa.Float(), nullable=True, comment="WGS-84"),
        sa.Column("given_lat", sa.Float(), nullable=True, comment="as the installer gave it"),
        sa.Column("given_lon", sa.Float(), nullable=True, comment="as the installer gave it"),
        sa.Column(
            "coord_system",
            sa.String(length=8),
            server_default="wgs84",
            nullable=False,
            comment="the system the installer gave: wgs84, gcj02 or bd09",
        ),
        sa.Column(
            "rtsp_main",
            sa.String(length=512),
            server_default="",
            nullable=False,
            comment="no credentials",
        ),
        sa.Column(
            "rtsp_sub",
            sa.String(length=512),
            server_default="",
            nullable=False,
            comment="no credentials",
        ),
        sa.Column("rtsp_username", sa.String(length=128), nullable=True),
        sa.Column("rtsp_password", sa.String(length=256), nullable=True),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column(
            "analytics", sa.JSON(), nullable=True, comment="zones and lines for the detectors"
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="unknown", nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.String(length=256), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_cameras_grid_id_grids")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_cameras_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("gb_id", name=op.f("uq_cameras_gb_id")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cameras_grid_id"), ["grid_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_site_type"), ["site_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_cameras_status"), ["status"], unique=False)

    op.create_table(
        "sensors",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="smoke, heat, gas, water, bin, door",
        ),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=True),
        sa.Column("building", sa.String(length=128), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_sensors_grid_id_grids")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_sensors_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
    )
    op.create_table(
        "camera_status_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_status_history_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_status_history")),
    )
    with op.batch_alter_table("camera_status_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_camera_status_history_camera_at", ["camera_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("camera_status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_status_history_camera_at")

    op.drop_table("camera_status_history")
    op.drop_table("sensors")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cameras_status"))
        batch_op.drop_index(batch_op.f("ix_cameras_site_type"))
        batch_op.drop_index(batch_op.f("ix_cameras_grid_id"))

    op.drop_table("cameras")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_grid_id"))

    op.drop_table("sites")
    with op.batch_alter_table("grid_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_workers_grid_id"))

    op.drop_table("grid_workers")
    op.drop_table("grids")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("communities")
    op.drop_table("streets")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_active")

    op.drop_table("incidents")
