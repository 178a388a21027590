"""A realistic synthetic Dejiang camera ledger, for demos, tests and benchmarks.

Cameras spread over the grids of a places file with the mix of sites a 天网 build-out
has (roads and crossings, compound gates and stairwells, plazas, parking lots, markets,
school gates, the riverside), points within a few km of the county seat given in the
datums installers actually use (WGS-84, GCJ-02, BD-09), and each vendor's RTSP paths.
"""

import random
from datetime import date, timedelta
from typing import Any

from camera_registry.coordinates import from_wgs84
from camera_registry.credentials import with_credentials
from camera_registry.place_seed import PlacesFile

COUNTY_SEAT = (28.2636, 108.1195)  # 德江县城, WGS-84 (approximate)
ROADS = ("青龙大道", "玉水路", "滨江路", "文昌路", "人民路", "和平路", "解放路", "长堰路",
         "银丰路", "凤凰大道", "桂花路", "新城路", "扶阳路", "龙溪路", "乌江大道")  # fmt: skip
SITE_MIX = (("road", 34), ("intersection", 20), ("compound_gate", 9), ("stairwell", 10),
            ("parking_lot", 8), ("plaza", 5), ("market", 5), ("school", 5), ("riverside", 4))  # fmt: skip
VENDORS = (
    ("海康威视", ("DS-2CD3T46WD-I3", "DS-2CD2T47G2-L"), "/Streaming/Channels/101", "/Streaming/Channels/102"),
    ("大华", ("DH-IPC-HFW2433M", "DH-IPC-HDW3441T"), "/cam/realmonitor?channel=1&subtype=0",
     "/cam/realmonitor?channel=1&subtype=1"),
    ("宇视", ("IPC2124LR3-PF40", "IPC3614SR3"), "/media/video1", "/media/video2"),
)  # fmt: skip
DIRECTIONS = ("东向", "西向", "南向", "北向")


def _name(rng: random.Random, site_type: str, compounds: list[str], n: int) -> str:
    road, other = rng.sample(ROADS, 2)
    compound = rng.choice(compounds) if compounds else "小区"
    return {
        "road": f"{road}{rng.randint(1, 300)}号 {rng.choice(DIRECTIONS)}",
        "intersection": f"{road}与{other}交叉口 {rng.choice(DIRECTIONS)}",
        "compound_gate": f"{compound} {rng.choice('东南西北')}门",
        "stairwell": f"{compound} {rng.randint(1, 12)}栋 {rng.randint(1, 3)}单元 楼道",
        "parking_lot": f"{compound} 停车场 {rng.randint(1, 4)}号口",
        "plaza": f"{rng.choice(('人民广场', '文昌广场', '滨江广场'))} {rng.choice(DIRECTIONS)}",
        "market": f"{rng.choice(('青龙农贸市场', '玉水农贸市场'))} {rng.randint(1, 4)}号门",
        "school": f"{rng.choice(('德江一中', '德江二中', '青龙小学', '玉水小学'))} 校门 {n % 2 + 1}",
        "riverside": f"乌江 滨江步道 {rng.randint(1, 40)}号杆",
    }[site_type]


def generate_ledger(count: int, places: PlacesFile, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` ledger rows (the CSV columns of camera_registry.ledger_csv)."""
    rng = random.Random(seed)
    grids = [
        (street.name, community.name, n, ci)
        for ci, (street, community) in enumerate(
            (s, c) for s in places.streets for c in s.communities
        )
        for n in range(1, community.grids + 1)
    ]
    centres = {ci: (rng.uniform(-0.012, 0.012), rng.uniform(-0.014, 0.014)) for *_, ci in grids}
    compounds = [c.name for c in places.compounds]
    site_types, weights = zip(*SITE_MIX, strict=True)
    rows = []
    for n in range(1, count + 1):
        street, community, grid_no, ci = rng.choice(grids)
        site_type = rng.choices(site_types, weights)[0]
        d_lat, d_lon = centres[ci]
        lat = COUNTY_SEAT[0] + d_lat + rng.gauss(0, 0.002)
        lon = COUNTY_SEAT[1] + d_lon + rng.gauss(0, 0.002)
        system = rng.choices(("wgs84", "gcj02", "bd09"), (50, 35, 15))[0]
        given_lat, given_lon = from_wgs84(lat, lon, system)
        vendor, models, main_path, sub_path = rng.choice(VENDORS)
        host = f"10.{52 + ci % 4}.{grid_no}.{n % 250 + 2}:554"
        password = "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789@#", k=10)
        )
        rows.append(
            {
                "gb_id": f"52062600{'00'}{rng.choice(('131', '132', '132', '132'))}0{n:06d}",
                "name": _name(rng, site_type, compounds, n),
                "street": street,
                "community": community,
                "grid": f"第{grid_no}网格",
                "site_type": site_type,
                "lat": round(given_lat, 6),
                "lon": round(given_lon, 6),
                "coord_system": system,
                "rtsp_main": with_credentials(f"rtsp://{host}{main_path}", "admin", password),
                "rtsp_sub": with_credentials(f"rtsp://{host}{sub_path}", "admin", password),
                "vendor": vendor,
                "model": rng.choice(models),
                "installed_on": (
                    date(2016, 1, 1) + timedelta(days=rng.randint(0, 3650))
                ).isoformat(),
            }
        )
    return rows
