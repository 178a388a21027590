"""Which roles may read and change what: one declaration per router (admin may do all).

api/app.py includes every router with its policy, so a route without a declared role
cannot exist; tests/integration/test_auth.py calls every OpenAPI route anonymously to check.
"""

from fastapi import Depends
from fastapi.params import Depends as DependsParam

from api.auth import allow
from api.auth_model import Role

ALL_ROLES = frozenset(Role)
INCIDENT_READERS = ALL_ROLES  # a grid worker is narrowed to their grids in the routes
FLEET_READERS = frozenset({Role.operator, Role.inventory, Role.viewer, Role.admin})


def _policy(read: frozenset[Role], write: frozenset[Role] = frozenset()) -> list[DependsParam]:
    return [Depends(allow(read, write))]


CAMERAS = _policy(FLEET_READERS, frozenset({Role.inventory}))
SENSORS = _policy(FLEET_READERS, frozenset({Role.inventory}))
FLEET = _policy(FLEET_READERS)
PLACES = _policy(ALL_ROLES)
INCIDENTS = _policy(INCIDENT_READERS, frozenset({Role.operator, Role.grid_worker}))
DELIVERIES = _policy(frozenset({Role.operator}), frozenset({Role.operator}))
SNAPSHOTS = _policy(frozenset({Role.operator, Role.inventory, Role.viewer}))
SIGNED_IN = _policy(ALL_ROLES, ALL_ROLES)
