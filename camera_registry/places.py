"""Reading the place hierarchy: the tree for the API, the place of a device for incidents,
and the resolver an import uses to find or create 街道 / 社区 / 网格 by name."""

from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camera_registry.schema import (
    camera_coverage,
    cameras,
    communities,
    grid_workers,
    grids,
    sensors,
    sites,
    streets,
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an incident is: the grid with its street and community, and a WGS-84 point."""

    grid_id: str
    grid_name: str
    street: str
    street_code: str
    community: str
    community_code: str
    lat: float | None
    lon: float | None
    label: str
    site_id: str | None
    gb_id: str | None


async def place_of(
    engine: AsyncEngine, source_kind: Literal["camera", "sensor"], source_id: str
) -> Place | None:
    """The grid and point of a camera or sensor; None when the registry does not know it."""
    return (await places_of(engine, source_kind, [source_id])).get(source_id)


async def places_of(
    engine: AsyncEngine, source_kind: Literal["camera", "sensor"], source_ids: list[str]
) -> dict[str, Place]:
    """The places of many cameras or sensors in one query; ids the registry does not know
    are left out."""
    table = cameras if source_kind == "camera" else sensors
    label = cameras.c.name if source_kind == "camera" else sensors.c.building
    gb_id = cameras.c.gb_id if source_kind == "camera" else sa.null()
    query = (
        sa.select(
            table.c.id.label("source_id"),
            grids.c.id.label("grid_id"),
            grids.c.name.label("grid_name"),
            streets.c.name.label("street"),
            streets.c.code.label("street_code"),
            communities.c.name.label("community"),
            communities.c.code.label("community_code"),
            table.c.lat,
            table.c.lon,
            label.label("label"),
            table.c.site_id,
            gb_id.label("gb_id"),
        )
        .join_from(table, grids, table.c.grid_id == grids.c.id)
        .join(communities, grids.c.community_code == communities.c.code)
        .join(streets, communities.c.street_code == streets.c.code)
        .where(table.c.id.in_(source_ids))
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {
        row["source_id"]: Place(
            **{k: v for k, v in row.items() if k not in ("source_id", "label")},
            label=row["label"] or row["source_id"],
        )
        for row in rows
    }


async def cameras_covering(engine: AsyncEngine, site_id: str) -> list[str]:
    """The cameras that see ``site_id`` (or a site inside it, e.g. a building's stairwell)."""
    inside = sa.select(sites.c.id).where(
        sa.or_(sites.c.id == site_id, sites.c.parent_id == site_id)
    )
    covering = sa.select(camera_coverage.c.camera_id).where(camera_coverage.c.site_id.in_(inside))
    placed = sa.select(cameras.c.id).where(cameras.c.site_id.in_(inside))
    async with engine.connect() as conn:
        rows = [*(await conn.execute(covering)).all(), *(await conn.execute(placed)).all()]
    return sorted({row[0] for row in rows})


async def sites_seen_by(engine: AsyncEngine, camera_id: str) -> list[str]:
    """The sites a camera sees: its own site, its coverage, and their parent sites."""
    covered = sa.select(camera_coverage.c.site_id).where(camera_coverage.c.camera_id == camera_id)
    own = sa.select(cameras.c.site_id).where(
        cameras.c.id == camera_id, cameras.c.site_id.is_not(None)
    )
    direct = covered.union(own).subquery()
    parents = sa.select(sites.c.parent_id).where(
        sites.c.id.in_(sa.select(direct)), sites.c.parent_id.is_not(None)
    )
    async with engine.connect() as conn:
        rows = [
            *(await conn.execute(sa.select(direct))).all(),
            *(await conn.execute(parents)).all(),
        ]
    return sorted({row[0] for row in rows})


async def places_tree(engine: AsyncEngine) -> list[dict[str, Any]]:
    """街道 > 社区 > 网格 > sites, with each grid's workers and camera count."""
    async with engine.connect() as conn:
        street_rows = (await conn.execute(sa.select(streets).order_by(streets.c.code))).all()
        community_rows = (
            await conn.execute(sa.select(communities).order_by(communities.c.code))
        ).all()
        grid_rows = (await conn.execute(sa.select(grids).order_by(grids.c.id))).all()
        site_rows = (await conn.execute(sa.select(sites).order_by(sites.c.id))).all()
        worker_rows = (
            await conn.execute(sa.select(grid_workers).order_by(grid_workers.c.id))
        ).all()
        per_grid = sa.select(cameras.c.grid_id, sa.func.count()).group_by(cameras.c.grid_id)
        counts: dict[str, int] = {g: int(n) for g, n in (await conn.execute(per_grid)).all()}
    sites_by_grid: dict[str, list[dict[str, Any]]] = {}
    for s in site_rows:
        sites_by_grid.setdefault(s.grid_id, []).append(
            {
                "id": s.id,
                "name": s.name,
                "site_type": s.site_type,
                "parent_id": s.parent_id,
                "lat": s.lat,
                "lon": s.lon,
            }
        )
    workers_by_grid: dict[str, list[dict[str, Any]]] = {}
    for w in worker_rows:
        workers_by_grid.setdefault(w.grid_id, []).append(
            {
                "id": w.id,
                "name": w.name,
                "active": w.active,
                "has_phone": bool(w.phone),
                "has_webhook": bool(w.webhook_url),
            }
        )
    grids_by_community: dict[str, list[dict[str, Any]]] = {}
    for g in grid_rows:
        grids_by_community.setdefault(g.community_code, []).append(
            {
                "code": g.id,
                "name": g.name,
                "cameras": int(counts.get(g.id, 0)),
                "workers": workers_by_grid.get(g.id, []),
                "sites": sites_by_grid.get(g.id, []),
            }
        )
    communities_by_street: dict[str, list[dict[str, Any]]] = {}
    for c in community_rows:
        communities_by_street.setdefault(c.street_code, []).append(
            {"code": c.code, "name": c.name, "grids": grids_by_community.get(c.code, [])}
        )
    return [
        {"code": s.code, "name": s.name, "communities": communities_by_street.get(s.code, [])}
        for s in street_rows
    ]


@dataclass
class PlaceResolver:
    """Finds a grid by street, community and grid (name or code), creating what is new.

    Loaded once per import so a 1,067-row ledger costs three queries, not thousands.
    """

    county_code: str
    street_by_name: dict[str, str] = field(default_factory=dict)
    community_by_name: dict[tuple[str, str], str] = field(default_factory=dict)
    grid_by_name: dict[tuple[str, str], str] = field(default_factory=dict)
    grid_community: dict[str, str] = field(default_factory=dict)
    new_streets: list[dict[str, str]] = field(default_factory=list)
    new_communities: list[dict[str, str]] = field(default_factory=list)
    new_grids: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    async def load(cls, conn: AsyncConnection, county_code: str) -> "PlaceResolver":
        """The resolver for what the registry holds now."""
        resolver = cls(county_code)
        for code, name in (await conn.execute(sa.select(streets.c.code, streets.c.name))).all():
            resolver.street_by_name[name] = code
        for code, name, street in (
            await conn.execute(
                sa.select(communities.c.code, communities.c.name, communities.c.street_code)
            )
        ).all():
            resolver.community_by_name[(street, name)] = code
        for gid, name, community in (
            await conn.execute(sa.select(grids.c.id, grids.c.name, grids.c.community_code))
        ).all():
            resolver.grid_by_name[(community, name)] = gid
            resolver.grid_community[gid] = community
        return resolver

    @property
    def created(self) -> int:
        """How many places this resolver has created."""
        return len(self.new_streets) + len(self.new_communities) + len(self.new_grids)

    def grid(self, street: str, community: str, grid: str) -> str:
        """The grid code for these names (a grid may also be given by its code)."""
        street_code = self.street_by_name.get(street) or self._new_street(street)
        community_code = self.community_by_name.get(
            (street_code, community)
        ) or self._new_community(street_code, community)
        owner = self.grid_community.get(grid)
        if owner is not None:  # given by its code
            if owner != community_code:
                raise ValueError(f"grid {grid} is not in community {community}")
            return grid
        return self.grid_by_name.get((community_code, grid)) or self._new_grid(community_code, grid)

    def _new_street(self, name: str) -> str:
        code = _next_code(self.county_code, set(self.street_by_name.values()), 3)
        self.street_by_name[name] = code
        self.new_streets.append({"code": code, "name": name})
        return code

    def _new_community(self, street_code: str, name: str) -> str:
        taken = {c for (s, _), c in self.community_by_name.items() if s == street_code}
        code = _next_code(street_code, taken, 3)
        self.community_by_name[(street_code, name)] = code
        self.new_communities.append({"code": code, "name": name, "street_code": street_code})
        return code

    def _new_grid(self, community_code: str, name: str) -> str:
        taken = {g for g, c in self.grid_community.items() if c == community_code}
        code = _next_code(community_code, taken, 3)
        self.grid_by_name[(community_code, name)] = code
        self.grid_community[code] = community_code
        self.new_grids.append({"id": code, "name": name, "community_code": community_code})
        return code

    async def save(self, conn: AsyncConnection) -> None:
        """Insert the places created so far (streets, then communities, then grids)."""
        for table, rows in (
            (streets, self.new_streets),
            (communities, self.new_communities),
            (grids, self.new_grids),
        ):
            if rows:
                await conn.execute(sa.insert(table), rows)


def _next_code(prefix: str, taken: set[str], digits: int) -> str:
    numbers = [
        int(code[len(prefix) :])
        for code in taken
        if code.startswith(prefix) and code[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:0{digits}d}"
