"""Who may use the API and console: session cookies and the login throttle."""

from pydantic import Field

from config.base import Section


class AuthSettings(Section):
    """Browser sessions and login rate limiting (users and tokens live in the database)."""

    cookie_secure: bool = Field(
        True,
        description="Send session cookies with the Secure flag (turn off only for plain-HTTP "
        "demos on a machine of your own).",
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="How long a login lasts.")
    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Failed logins per user name (and 4× per address) allowed."
    )
    login_window_s: float = Field(
        300.0, gt=0, le=86400, description="The window those failures are counted over."
    )
