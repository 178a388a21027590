"""sensors: per-sensor settings and the dead letters of the MQTT consumer

Revision ID: 0003_sensors
Revises: 0002
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_sensors"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sensor_details",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column(
            "profile",
            sa.String(length=64),
            nullable=True,
            comment="sensor profile name; null: default",
        ),
        sa.Column("heartbeat_s", sa.Float(), nullable=True, comment="silent longer → offline"),
        sa.Column("thresholds", sa.JSON(), nullable=True, comment="rule figures of this sensor"),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.id"],
            name=op.f("fk_sensor_details_sensor_id_sensors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sensor_id", name=op.f("pk_sensor_details")),
        comment="per-sensor settings of the sensor register",
    )
    op.create_table(
        "sensor_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=512), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=512), nullable=False),
        sa.Column(
            "payload", sa.LargeBinary(), nullable=False, comment="raw bytes, cut at the limit"
        ),
        sa.Column("payload_bytes", sa.Integer(), nullable=False, comment="size as received"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_dead_letters")),
        comment="sensor messages that yielded no reading (bad payload, unknown device, absurd value)",
    )
    op.create_index(
        op.f("ix_sensor_dead_letters_received_at"), "sensor_dead_letters", ["received_at"]
    )
    op.create_index(op.f("ix_sensor_dead_letters_reason"), "sensor_dead_letters", ["reason"])


def downgrade() -> None:
    op.drop_table("sensor_dead_letters")
    op.drop_table("sensor_details")
