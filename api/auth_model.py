"""Roles and the principal a request acts as."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """What a user is for; the routes each role may use are declared in api/auth_policy.py."""

    admin = "admin"
    operator = "operator"  # command-centre operator: the whole queue, every lifecycle step
    inventory = "inventory"  # camera inventory manager: the register and its health
    grid_worker = "grid_worker"  # 网格员: only their own grids' incidents
    viewer = "viewer"  # reads, never changes


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, through an API token or a browser session."""

    user_id: str
    display_name: str
    role: Role
    grids: frozenset[str]
    via: Literal["token", "session"]
    csrf_token: str | None = None  # the session's, for the double-submit check

    @property
    def grid_scope(self) -> frozenset[str] | None:
        """The grids this principal is limited to, or None for the whole county."""
        return self.grids if self.role is Role.grid_worker else None

    def sees_grid(self, grid_id: str | None) -> bool:
        """Whether an incident or camera in ``grid_id`` is visible to this principal."""
        scope = self.grid_scope
        return scope is None or (grid_id is not None and grid_id in scope)
