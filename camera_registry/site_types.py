"""What a camera or a sensor looks at or sits in."""

from typing import Literal, get_args

SiteType = Literal[
    "road",
    "intersection",
    "plaza",
    "parking_lot",
    "stairwell",
    "compound",
    "compound_gate",
    "building",
    "market",
    "school",
    "riverside",
    "other",
]
SITE_TYPES: tuple[str, ...] = get_args(SiteType)
