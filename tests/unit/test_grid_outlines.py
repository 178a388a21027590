"""Grid outlines for the offline map: the rounded hull of a grid's registered points."""

import math

from hypothesis import given
from hypothesis import strategies as st

from api.grid_outlines import METRES_PER_DEGREE, contains, convex_hull, grid_outline

DEJIANG = (28.26, 108.12)


def test_the_hull_of_a_square_with_a_point_inside_is_the_square_counter_clockwise() -> None:
    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
    hull = convex_hull([*square, (0.5, 0.5), (0.0, 0.5)])  # inside, and on an edge
    assert sorted(hull) == sorted(square)
    area2 = sum(a[1] * b[0] - b[1] * a[0] for a, b in zip(hull, hull[1:] + hull[:1], strict=True))
    assert area2 > 0  # counter-clockwise with x = lon, y = lat


def test_a_grid_with_one_camera_is_a_disc_of_the_margin_around_it() -> None:
    outline = grid_outline([DEJIANG], margin_m=100)
    assert len(outline) == 12
    for lat, lon in outline:
        dy = (lat - DEJIANG[0]) * METRES_PER_DEGREE
        dx = (lon - DEJIANG[1]) * METRES_PER_DEGREE * math.cos(math.radians(DEJIANG[0]))
        assert 99 < math.hypot(dx, dy) < 101
    assert contains(outline, DEJIANG)


def test_no_points_no_outline() -> None:
    assert grid_outline([]) == []
    assert not contains([], DEJIANG)


points = st.lists(
    st.tuples(st.floats(28.2, 28.3), st.floats(108.05, 108.2)), min_size=1, max_size=30
)


@given(points)
def test_every_registered_point_lies_inside_its_grids_outline(
    pts: list[tuple[float, float]],
) -> None:
    outline = grid_outline(pts)
    assert all(contains(outline, p) for p in pts)
    assert not contains(outline, (28.5, 108.5))  # far away is outside
