"""The sensor register's own table: what the register knows about a sensor beyond where it is.

``sensors`` (camera_registry/schema.py) holds identity and place; ``sensor_details`` holds the
name, the profile its messages follow, its heartbeat window and its own thresholds.
"""

import sqlalchemy as sa

from camera_registry.schema import UtcDateTime, metadata

sensor_details = sa.Table(
    "sensor_details",
    metadata,
    sa.Column(
        "sensor_id",
        sa.String(64),
        sa.ForeignKey("sensors.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(128), nullable=True),
    sa.Column(
        "profile", sa.String(64), nullable=True, comment="sensor profile name; null: default"
    ),
    sa.Column("heartbeat_s", sa.Float, nullable=True, comment="silent longer → offline"),
    sa.Column("thresholds", sa.JSON, nullable=True, comment="rule figures of this sensor"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", UtcDateTime, nullable=True),
    comment="per-sensor settings of the sensor register",
)
