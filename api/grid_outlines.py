"""A 网格's outline derived from the points the register places in it.

The register knows where cameras, sites and sensors are but holds no grid polygons, so the
offline map draws each grid as the convex hull of its points grown by a margin (a rounded
hull): a grid with one camera is a small disc, a grid with many is the region around them.
It is an approximation of the grid, said so on the map, never a boundary of record.
"""

import math
from collections.abc import Iterable

LatLon = tuple[float, float]
METRES_PER_DEGREE = 111_320.0


def convex_hull(points: Iterable[LatLon]) -> list[LatLon]:
    """The convex hull, counter-clockwise in (lon, lat), without repeating the first point.

    Andrew's monotone chain; collinear points are dropped; fewer than three distinct
    points come back as they are (sorted).
    """
    unique = sorted(set(points), key=lambda p: (p[1], p[0]))
    if len(unique) < 3:
        return unique

    def cross(o: LatLon, a: LatLon, b: LatLon) -> float:
        return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])

    lower: list[LatLon] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[LatLon] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def grid_outline(
    points: Iterable[LatLon], margin_m: float = 120.0, sides: int = 12
) -> list[LatLon]:
    """The hull of ``points`` grown by ``margin_m`` metres: a polygon of (lat, lon), rounded to
    1e-6°. Empty when there are no points."""
    given = list(points)
    if not given:
        return []
    grown: list[LatLon] = []
    for lat, lon in given:
        dlat = margin_m / METRES_PER_DEGREE
        dlon = margin_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        for k in range(sides):
            angle = 2 * math.pi * k / sides
            grown.append((lat + dlat * math.sin(angle), lon + dlon * math.cos(angle)))
    return [(round(lat, 6), round(lon, 6)) for lat, lon in convex_hull(grown)]


def contains(polygon: list[LatLon], point: LatLon) -> bool:
    """Whether ``point`` lies inside (or on) a convex counter-clockwise ``polygon``."""
    if len(polygon) < 3:
        return False
    lat, lon = point
    for (lat1, lon1), (lat2, lon2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (lon2 - lon1) * (lat - lat1) - (lat2 - lat1) * (lon - lon1) < -1e-12:
            return False
    return True
