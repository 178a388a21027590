"""incident lifecycle: versions, places, sources, transitions, ordered outbox with dead letters

Revision ID: 0003_incidents
Revises: 0002
Create Date: 2026-11-27 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_incidents"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("certainty", sa.String(length=16), server_default="Likely", nullable=False)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column(
                "place_key",
                sa.String(length=96),
                server_default="",
                nullable=False,
                comment="what dedup and cooldown key on",
            )
        )
        batch_op.add_column(
            sa.Column(
                "site_id",
                sa.String(length=64),
                nullable=True,
                comment="the building or site, if known",
            )
        )
        batch_op.add_column(
            sa.Column(
                "sources",
                sa.JSON(),
                server_default="[]",
                nullable=False,
                comment="every camera and sensor that saw it",
            )
        )
        batch_op.add_column(
            sa.Column(
                "status_changed_at",
                sa.DateTime(timezone=True),
                server_default=sa.func.now(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "closed_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="resolved or false alarm",
            )
        )
        batch_op.add_column(
            sa.Column("escalations", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_index("ix_incidents_active")
        batch_op.create_index("ix_incidents_place", ["place_key", "type", "status"], unique=False)
        batch_op.create_index("ix_incidents_site", ["site_id", "status"], unique=False)
        batch_op.create_index("ix_incidents_opened", ["opened_at"], unique=False)

    op.create_table(
        "incident_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, comment="the incident version it made"),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column(
            "actor", sa.String(length=64), nullable=False, comment="user, grid worker or 'tianwang'"
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_transitions_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_transitions")),
    )
    with op.batch_alter_table("incident_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_transitions_incident", ["incident_id", "id"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column(
                "dead_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="refused for good: needs an operator",
            )
        )
        batch_op.alter_column(
            "destination",
            existing_type=sa.String(length=32),
            type_=sa.String(length=96),
            comment="yiwangguan, grid:<id>, webhook:<worker>",
            existing_comment="yiwangguan",
            existing_nullable=False,
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index(
            "ix_outbox_pending", ["delivered_at", "dead_at", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_incident", ["incident_id", "destination", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_incident")
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index(
            "ix_outbox_pending", ["delivered_at", "next_attempt_at"], unique=False
        )
        batch_op.alter_column(
            "destination", existing_type=sa.String(length=96), type_=sa.String(length=32)
        )
        batch_op.drop_column("dead_at")
        batch_op.drop_column("version")
    op.drop_table("incident_transitions")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_opened")
        batch_op.drop_index("ix_incidents_site")
        batch_op.drop_index("ix_incidents_place")
        batch_op.create_index(
            "ix_incidents_active", ["source_kind", "source_id", "type", "status"], unique=False
        )
        for column in (
            "escalations",
            "closed_at",
            "status_changed_at",
            "sources",
            "site_id",
            "place_key",
            "version",
            "certainty",
        ):
            batch_op.drop_column(column)
