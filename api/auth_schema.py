"""Users, API tokens and browser sessions (on the registry's shared MetaData).

Secrets are never stored: a token or session id is kept as its SHA-256, a password as
its scrypt hash with a per-user salt.
"""

import sqlalchemy as sa

from camera_registry.schema import UtcDateTime, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True, comment="login name"),
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.Column(
        "role",
        sa.String(16),
        nullable=False,
        comment="admin, operator, inventory, grid_worker or viewer",
    ),
    sa.Column("grids", sa.JSON, nullable=False, comment="网格 ids a grid_worker may see"),
    sa.Column("password_hash", sa.String(255), nullable=True, comment="scrypt$n$r$p$salt$hash"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True, comment="no login, no token, no session"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True, comment="the public part of the token"),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True, comment="SHA-256 of the cookie"),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False, comment="double-submit CSRF token"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True, comment="logged out"),
)
