"""camera coverage: which cameras see which building or site

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_coverage",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_coverage_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_camera_coverage_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "site_id", name=op.f("pk_camera_coverage")),
        comment="which cameras see which building or site (for fusion and sensor-driven focus)",
    )


def downgrade() -> None:
    op.drop_table("camera_coverage")
