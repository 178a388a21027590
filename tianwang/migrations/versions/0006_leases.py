"""camera leases, fleet workers and the analysis spans that fence them

Revision ID: 0006_leases
Revises: 0005_users
Create Date: 2026-11-27 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_leases"
down_revision: str | Sequence[str] | None = "0005_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_leases",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True, comment="holder; null: free"),
        sa.Column("epoch", sa.BigInteger(), server_default="0", nullable=False, comment="fencing"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_leases_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_leases")),
    )
    op.create_index("ix_camera_leases_worker", "camera_leases", ["worker"], unique=False)
    op.create_table(
        "fleet_workers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "fenced",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="detections refused since start: made under a lease no longer held",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_fleet_workers")),
    )
    op.create_table(
        "camera_analysis",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "last_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="last renewal while analysing",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_analysis_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "epoch", name=op.f("pk_camera_analysis")),
    )


def downgrade() -> None:
    op.drop_table("camera_analysis")
    op.drop_table("fleet_workers")
    op.drop_index("ix_camera_leases_worker", table_name="camera_leases")
    op.drop_table("camera_leases")
