"""/api/v1/auth: browser login and logout (rate-limited), and who am I."""

import asyncio
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from api.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentPrincipal
from api.auth_secrets import hash_password, verify_password
from api.auth_store import end_session, open_session, password_hash_of, principal_for_session
from api.auth_throttle import LoginThrottle
from config.auth import AuthSettings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_DUMMY_HASH = hash_password("not a password of anyone", n=2**14)


class LoginIn(BaseModel):
    """A user name and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    """The logged-in user, and the CSRF token to send back in ``X-CSRF-Token``."""

    user: str
    display_name: str
    role: str
    grids: list[str]
    csrf_token: str | None = None
    expires_at: datetime | None = None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", summary="Log in: sets the session and CSRF cookies")
async def login(credentials: LoginIn, request: Request, response: Response) -> Me:
    """401 on a wrong name or password, 429 with ``Retry-After`` after too many failures."""
    settings: AuthSettings = request.app.state.auth_settings
    throttle: LoginThrottle = request.app.state.login_throttle
    engine = request.app.state.engine
    address = _client(request)
    wait = throttle.retry_after(credentials.username, address)
    if wait is not None:
        raise HTTPException(
            429, "too many failed logins; wait", headers={"Retry-After": str(int(wait) + 1)}
        )
    stored = await password_hash_of(engine, credentials.username)
    # Hash even for an unknown user, so the answer's timing does not tell who exists.
    good = await asyncio.to_thread(verify_password, credentials.password, stored or _DUMMY_HASH)
    if not (good and stored):
        throttle.failed(credentials.username, address)
        raise HTTPException(401, "wrong user name or password")
    throttle.succeeded(credentials.username)
    session = await open_session(engine, credentials.username, settings.session_hours)
    max_age = int(settings.session_hours * 3600)
    for name, value, http_only in (
        (SESSION_COOKIE, session.cookie, True),
        (CSRF_COOKIE, session.csrf_token, False),  # the page's script reads and echoes it
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=http_only,
            samesite="strict",
            secure=settings.cookie_secure,
        )
    principal = await principal_for_session(engine, session.cookie)
    assert principal is not None  # just opened
    return Me(
        user=principal.user_id,
        display_name=principal.display_name,
        role=principal.role.value,
        grids=sorted(principal.grids),
        csrf_token=session.csrf_token,
        expires_at=session.expires_at,
    )


@router.post("/logout", status_code=204, summary="End this browser session")
async def logout(request: Request, response: Response, principal: CurrentPrincipal) -> None:
    """Ends the session (needs its CSRF token) and clears the cookies."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal.via == "session" and cookie:
        await end_session(request.app.state.engine, cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me", summary="Who am I")
async def me(principal: CurrentPrincipal) -> Me:
    """The caller's user, role and grids (and, for a session, its CSRF token)."""
    return Me(
        user=principal.user_id,
        display_name=principal.display_name,
        role=principal.role.value,
        grids=sorted(principal.grids),
        csrf_token=principal.csrf_token,
    )
