"""Incident, transition and outbox tables (on the registry's shared MetaData)."""

import sqlalchemy as sa

from camera_registry.schema import UtcDateTime, metadata

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("type", sa.String(64), nullable=False, comment="fire, smoke, sensor.smoke, ..."),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False, comment="CAP 1.2 severity"),
    sa.Column("certainty", sa.String(16), nullable=False, server_default="Likely"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("source_kind", sa.String(16), nullable=False, comment="camera or sensor"),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("place_key", sa.String(96), nullable=False, comment="what dedup and cooldown key on"),
    sa.Column("site_id", sa.String(64), nullable=True, comment="the building or site, if known"),
    sa.Column("grid_id", sa.String(32), nullable=True),
    sa.Column("sources", sa.JSON, nullable=False, comment="every camera and sensor that saw it"),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("status_changed_at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True, comment="resolved or false alarm"),
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("detections", sa.Integer, nullable=False, server_default="1"),
    sa.Column("peak_confidence", sa.Float, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False, comment="box, snapshot, reading ..."),
    sa.Index("ix_incidents_place", "place_key", "type", "status"),
    sa.Index("ix_incidents_site", "site_id", "status"),
    sa.Index("ix_incidents_opened", "opened_at"),
)

incident_transitions = sa.Table(
    "incident_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, comment="the incident version it made"),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False, comment="user, grid worker or 'tianwang'"),
    sa.Column("note", sa.String(1000), nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_incident_transitions_incident", "incident_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True, comment="Idempotency-Key"),
    sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column(
        "destination",
        sa.String(96),
        nullable=False,
        comment="yiwangguan, grid:<id>, webhook:<worker>",
    ),
    sa.Column("payload", sa.JSON, nullable=False, comment="the CloudEvent, as sent"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("dead_at", UtcDateTime, nullable=True, comment="refused for good: needs an operator"),
    sa.Column("last_error", sa.String(512), nullable=True),
    sa.Index("ix_outbox_pending", "delivered_at", "dead_at", "next_attempt_at"),
    sa.Index("ix_outbox_incident", "incident_id", "destination", "id"),
)
