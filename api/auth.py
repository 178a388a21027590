"""Who is calling, and may they: the dependencies every route declares.

A caller is a user with an API token (``Authorization: Bearer tw_…``) or a browser
session (``tw_session`` cookie). A session's state-changing requests must also carry the
session's CSRF token in ``X-CSRF-Token``, equal to the ``tw_csrf`` cookie (double submit).
"""

import hmac
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from api.auth_model import Principal, Role
from api.auth_store import principal_for_session, principal_for_token

SESSION_COOKIE = "tw_session"
CSRF_COOKIE = "tw_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(conn: HTTPConnection) -> Principal | None:
    """The principal behind a request or WebSocket handshake, or None when anonymous."""
    engine: AsyncEngine = conn.app.state.engine
    scheme, _, credentials = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return await principal_for_token(engine, credentials.strip())
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        return await principal_for_session(engine, cookie)
    return None


def csrf_ok(request: Request, principal: Principal) -> bool:
    """Whether a state-changing request from a browser session carries its CSRF token."""
    if principal.via == "token" or request.method in SAFE_METHODS:
        return True
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = principal.csrf_token or ""
    return (
        bool(header)
        and hmac.compare_digest(header, cookie)
        and hmac.compare_digest(header, expected)
    )


async def current_principal(request: Request) -> Principal:
    """The authenticated caller; 401 when anonymous, 403 when a session lacks its CSRF token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        principal = await authenticate(request)
        if principal is None:
            raise HTTPException(
                401, "log in or send an API token", headers={"WWW-Authenticate": "Bearer"}
            )
        request.state.principal = principal
    if not csrf_ok(request, principal):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER}")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allow(
    read: Iterable[Role], write: Iterable[Role] = ()
) -> Callable[[Request, Principal], Awaitable[Principal]]:
    """A dependency letting ``read`` roles use GET/HEAD and ``write`` roles everything else.

    ``admin`` is always allowed. Routers are included with one of these (api/app.py), so
    no route is reachable without a declared role.
    """
    readers = frozenset(read) | {Role.admin}
    writers = frozenset(write) | {Role.admin}

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        allowed = readers if request.method in SAFE_METHODS else writers
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role.value} may not do this")
        return principal

    return check
