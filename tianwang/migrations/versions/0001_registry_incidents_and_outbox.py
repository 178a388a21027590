"""registry, incidents and outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:30:59.596706
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
        "grids",
        sa.Column("id", sa.String(length=32), nullable=False, comment="网格 code"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("street", sa.String(length=64), nullable=False, comment="街道"),
        sa.Column("community", sa.String(length=64), nullable=False, comment="社区"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
    )
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
        "cameras",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("gb_id", sa.String(length=20), nullable=False, comment="GB/T 28181 device ID"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True, comment="WGS-84"),
        sa.Column("lon", sa.Float(), nullable=True, comment="WGS-84"),
        sa.Column(
            "stream_url",
            sa.String(length=512),
            nullable=False,
            comment="sub-stream, no credentials",
        ),
        sa.Column("rtsp_username", sa.String(length=128), nullable=True),
        sa.Column("rtsp_password", sa.String(length=256), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="unknown", nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_cameras_grid_id_grids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("gb_id", name=op.f("uq_cameras_gb_id")),
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
        "sensors",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="smoke, heat, gas, water, bin, door",
        ),
        sa.Column("grid_id", sa.String(length=32), nullable=False),
        sa.Column("building", sa.String(length=128), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_sensors_grid_id_grids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
    )


def downgrade() -> None:
    op.drop_table("sensors")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("cameras")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_active")

    op.drop_table("incidents")
    op.drop_table("grids")
