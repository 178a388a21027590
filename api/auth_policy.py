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
CAMERA_READERS = FLEET_READERS | {Role.grid_worker}  # a grid worker: their grids' cameras only
LIVE_VIEWERS = frozenset({Role.operator, Role.inventory, Role.grid_worker})  # + their grids


def _policy(read: frozenset[Role], write: frozenset[Role] = frozenset()) -> list[DependsParam]:
    return [Depends(allow(read, write))]


CAMERAS = _policy(CAMERA_READERS, frozenset({Role.inventory}))
LIVE_VIEW = _policy(frozenset(), LIVE_VIEWERS)  # POST offer / DELETE session only
SENSORS = _policy(FLEET_READERS, frozenset({Role.inventory}))
FLEET = _policy(FLEET_READERS)
PLACES = _policy(ALL_ROLES)
INCIDENTS = _policy(INCIDENT_READERS, frozenset({Role.operator, Role.grid_worker}))
DELIVERIES = _policy(frozenset({Role.operator}), frozenset({Role.operator}))
SNAPSHOTS = _policy(frozenset({Role.operator, Role.inventory, Role.viewer, Role.grid_worker}))
MAP = _policy(ALL_ROLES)  # a grid worker's map holds only their grids
METRICS = _policy(FLEET_READERS)
SIGNED_IN = _policy(ALL_ROLES, ALL_ROLES)
