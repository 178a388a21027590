"""RTSP credentials live apart from the URL; what is shown or logged is always masked."""

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit


def mask_url(url: str) -> str:
    """``rtsp://user:pw@host/path`` becomes ``rtsp://***@host/path``; other URLs unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def strip_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Split ``url`` into a URL without user info, the user name and the password (decoded)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    host = parts.netloc.rsplit("@", 1)[1]
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return urlunsplit(parts._replace(netloc=host)), user, password


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The URL to open: user info put back in, percent-encoded. Never log the result."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))


_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s'\"]+@", re.IGNORECASE)


def mask_text(text: str) -> str:
    """Mask the user info of every URL inside free text (error messages, log lines)."""
    return _USERINFO.sub(r"\g<scheme>***@", text)
