"""The register written out as a ledger CSV: the import format, without credentials."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.coordinates import from_wgs84
from camera_registry.ledger_csv import write_rows
from camera_registry.schema import cameras, communities, grids, streets


async def export_ledger(engine: AsyncEngine) -> str:
    """Every camera as a ledger line, with the coordinates as they were given."""
    query = (
        sa.select(
            cameras,
            streets.c.name.label("street"),
            communities.c.name.label("community"),
            grids.c.name.label("grid"),
        )
        .join_from(cameras, grids, cameras.c.grid_id == grids.c.id)
        .join(communities, grids.c.community_code == communities.c.code)
        .join(streets, communities.c.street_code == streets.c.code)
        .order_by(cameras.c.gb_id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    out = []
    for row in rows:
        line = dict(row)
        if row["given_lat"] is not None and row["given_lon"] is not None:
            line["lat"], line["lon"] = row["given_lat"], row["given_lon"]
        elif row["lat"] is not None and row["lon"] is not None:
            lat, lon = from_wgs84(row["lat"], row["lon"], row["coord_system"])
            line["lat"], line["lon"] = round(lat, 7), round(lon, 7)
        out.append(line)
    return write_rows(out)
