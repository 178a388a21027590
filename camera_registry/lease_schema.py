"""Tables of the camera leases: who analyses which camera, under which fencing epoch.

* ``camera_leases``: one row per camera; a worker holds it until ``expires_at``; every claim
  bumps ``epoch``, so a worker that lost the lease can be told apart from the holder.
* ``fleet_workers``: the workers alive (heartbeat) and their capacity, for the fair share.
* ``camera_analysis``: (camera, epoch) → the worker and the first and last moment it was
  analysing the camera under that epoch: the data that shows no camera was analysed by two
  workers at once.
"""

import sqlalchemy as sa

from camera_registry.schema import UtcDateTime, metadata

camera_leases = sa.Table(
    "camera_leases",
    metadata,
    sa.Column(
        "camera_id",
        sa.String(64),
        sa.ForeignKey("cameras.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("worker", sa.String(64), nullable=True, comment="holder; null: free"),
    sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0", comment="fencing"),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Column("claimed_at", UtcDateTime, nullable=True),
    sa.Index("ix_camera_leases_worker", "worker"),
)

fleet_workers = sa.Table(
    "fleet_workers",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column(
        "fenced",
        sa.Integer,
        nullable=False,
        server_default="0",
        comment="detections refused since start: made under a lease no longer held",
    ),
)

camera_analysis = sa.Table(
    "camera_analysis",
    metadata,
    sa.Column(
        "camera_id",
        sa.String(64),
        sa.ForeignKey("cameras.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("epoch", sa.BigInteger, primary_key=True),
    sa.Column("worker", sa.String(64), nullable=False),
    sa.Column("first_at", UtcDateTime, nullable=False),
    sa.Column("last_at", UtcDateTime, nullable=False, comment="last renewal while analysing"),
)
