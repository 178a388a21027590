"""Incident and outbox tables (on the registry's shared MetaData)."""

import sqlalchemy as sa

from camera_registry.schema import UtcDateTime, metadata

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("type", sa.String(64), nullable=False, comment="fire, smoke, sensor.smoke, ..."),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False, comment="CAP 1.2 severity"),
    sa.Column("source_kind", sa.String(16), nullable=False, comment="camera or sensor"),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("grid_id", sa.String(32), nullable=True),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("detections", sa.Integer, nullable=False, server_default="1"),
    sa.Column("peak_confidence", sa.Float, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False, comment="box, snapshot, reading ..."),
    sa.Index("ix_incidents_active", "source_kind", "source_id", "type", "status"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True, comment="Idempotency-Key"),
    sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("destination", sa.String(32), nullable=False, comment="yiwangguan"),
    sa.Column("payload", sa.JSON, nullable=False, comment="the CloudEvent, as sent"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.String(512), nullable=True),
    sa.Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),
)
