"""Users, API tokens and sessions in the database: add, list, revoke, authenticate."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth_model import Principal, Role
from api.auth_schema import api_tokens, user_sessions, users
from api.auth_secrets import hash_password, new_token, same_secret, sha256_hex, split_token
from camera_registry.schema import grids as grid_table


class UserError(ValueError):
    """A user cannot be added or changed as asked."""


@dataclass(frozen=True)
class UserRecord:
    """A user as listed (never with a password hash)."""

    id: str
    display_name: str
    role: Role
    grids: list[str]
    created_at: datetime
    revoked_at: datetime | None
    has_password: bool
    tokens: int


@dataclass(frozen=True)
class Session:
    """A new browser session: the cookie value and its CSRF token (both shown once)."""

    cookie: str
    csrf_token: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


async def add_user(
    engine: AsyncEngine,
    user_id: str,
    role: Role,
    *,
    display_name: str | None = None,
    password: str | None = None,
    grids: list[str] | None = None,
) -> None:
    """Create a user; a grid worker needs at least one known grid, others none."""
    grids = sorted(set(grids or []))
    if not user_id or len(user_id) > 64 or not user_id.isprintable() or " " in user_id:
        raise UserError(f"bad user name {user_id!r}")
    if role is Role.grid_worker and not grids:
        raise UserError("a grid_worker needs --grid (one or more 网格 ids)")
    if role is not Role.grid_worker and grids:
        raise UserError("only a grid_worker is scoped to grids")
    if password is not None and len(password) < 10:
        raise UserError("a password needs at least 10 characters")
    async with engine.begin() as conn:
        if grids:
            known = set(
                (
                    await conn.execute(sa.select(grid_table.c.id).where(grid_table.c.id.in_(grids)))
                ).scalars()
            )
            if unknown := [g for g in grids if g not in known]:
                raise UserError(f"unknown grid(s): {', '.join(unknown)}")
        exists = await conn.execute(sa.select(users.c.id).where(users.c.id == user_id))
        if exists.first() is not None:
            raise UserError(f"user {user_id} exists")
        await conn.execute(
            users.insert().values(
                id=user_id,
                display_name=display_name or user_id,
                role=role.value,
                grids=grids,
                password_hash=hash_password(password) if password is not None else None,
                created_at=_now(),
            )
        )


async def issue_token(engine: AsyncEngine, user_id: str, name: str = "api") -> str:
    """A new API token for an active user; returned once, stored only as a hash."""
    token_id, secret, token = new_token()
    async with engine.begin() as conn:
        await _active_user(conn, user_id)
        await conn.execute(
            api_tokens.insert().values(
                id=token_id,
                user_id=user_id,
                name=name,
                secret_sha256=sha256_hex(secret),
                created_at=_now(),
            )
        )
    return token


async def _active_user(conn: Any, user_id: str) -> dict[str, Any]:
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().first()
    if row is None or row["revoked_at"] is not None:
        raise UserError(f"no active user {user_id}")
    return dict(row)


async def list_users(engine: AsyncEngine) -> list[UserRecord]:
    """Every user, revoked ones too, by name."""
    live_tokens = (
        sa.select(sa.func.count())
        .where(api_tokens.c.user_id == users.c.id, api_tokens.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    async with engine.connect() as conn:
        rows = (
            (await conn.execute(sa.select(users, live_tokens.label("tokens")).order_by(users.c.id)))
            .mappings()
            .all()
        )
    return [
        UserRecord(
            id=r["id"],
            display_name=r["display_name"],
            role=Role(r["role"]),
            grids=list(r["grids"]),
            created_at=r["created_at"],
            revoked_at=r["revoked_at"],
            has_password=r["password_hash"] is not None,
            tokens=int(r["tokens"]),
        )
        for r in rows
    ]


async def revoke_user(engine: AsyncEngine, user_id: str) -> None:
    """Lock a user out: the user, their tokens and their open sessions end now."""
    now = _now()
    async with engine.begin() as conn:
        done = await conn.execute(
            users.update()
            .where(users.c.id == user_id, users.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if done.rowcount != 1:
            raise UserError(f"no active user {user_id}")
        await conn.execute(
            api_tokens.update()
            .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await conn.execute(
            user_sessions.update()
            .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )


async def password_hash_of(engine: AsyncEngine, user_id: str) -> str | None:
    """The stored password hash of an active user (None: no such user or no password)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(users.c.password_hash).where(
                    users.c.id == user_id, users.c.revoked_at.is_(None)
                )
            )
        ).first()
    return None if row is None else row[0]


def _principal(row: Any, via: str, csrf_token: str | None = None) -> Principal:
    return Principal(
        user_id=row["id"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        grids=frozenset(row["grids"]),
        via="token" if via == "token" else "session",
        csrf_token=csrf_token,
    )


async def principal_for_token(engine: AsyncEngine, token: str) -> Principal | None:
    """The active user a bearer token belongs to, or None."""
    parts = split_token(token)
    if parts is None:
        return None
    token_id, secret = parts
    query = (
        sa.select(users, api_tokens.c.secret_sha256)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(
            api_tokens.c.id == token_id,
            api_tokens.c.revoked_at.is_(None),
            users.c.revoked_at.is_(None),
        )
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).mappings().first()
    if row is None or not same_secret(secret, row["secret_sha256"]):
        return None
    return _principal(row, "token")


async def open_session(engine: AsyncEngine, user_id: str, hours: float) -> Session:
    """A new browser session for an active user."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    expires = now + timedelta(hours=hours)
    async with engine.begin() as conn:
        await _active_user(conn, user_id)
        await conn.execute(
            user_sessions.insert().values(
                id_sha256=sha256_hex(cookie),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=expires,
            )
        )
    return Session(cookie, csrf, expires)


async def principal_for_session(engine: AsyncEngine, cookie: str) -> Principal | None:
    """The active user of a live (not ended, not expired) session cookie, or None."""
    query = (
        sa.select(users, user_sessions.c.csrf_token)
        .join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(
            user_sessions.c.id_sha256 == sha256_hex(cookie),
            user_sessions.c.ended_at.is_(None),
            user_sessions.c.expires_at > _now(),
            users.c.revoked_at.is_(None),
        )
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).mappings().first()
    return None if row is None else _principal(row, "session", row["csrf_token"])


async def end_session(engine: AsyncEngine, cookie: str) -> None:
    """Log a browser session out."""
    async with engine.begin() as conn:
        await conn.execute(
            user_sessions.update()
            .where(user_sessions.c.id_sha256 == sha256_hex(cookie))
            .values(ended_at=_now())
        )


async def token_for(engine: AsyncEngine, user_id: str, role: Role) -> str:
    """An API token for a password-less service user, added with ``role`` if missing."""
    async with engine.connect() as conn:
        exists = (await conn.execute(sa.select(users.c.id).where(users.c.id == user_id))).first()
    if exists is None:
        await add_user(engine, user_id, role, display_name=f"{user_id} (service)")
    return await issue_token(engine, user_id, "service")
