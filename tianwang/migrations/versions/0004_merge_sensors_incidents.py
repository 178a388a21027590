"""merge the sensors and incidents branches into one head

Revision ID: 0004
Revises: 0003_sensors, 0003_incidents
Create Date: 2026-11-27 02:30:00
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0003_sensors", "0003_incidents")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
