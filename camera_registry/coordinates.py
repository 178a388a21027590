"""WGS-84, GCJ-02 (高德, 腾讯 maps) and BD-09 (百度 maps): the datums installers give.

The forward transform is the widely published one (Krasovsky 1940 ellipsoid,
a = 6378245.0, e^2 = 0.00669342162296594323); the inverse is found by fixed-point
iteration, accurate to well under a centimetre after a few steps. Outside mainland
China GCJ-02 equals WGS-84.
"""

import math

_A = 6378245.0
_EE = 0.00669342162296594323


def outside_china(lat: float, lon: float) -> bool:
    """The rough bounding box outside which GCJ-02 applies no offset."""
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _delta(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (GPS) to GCJ-02 (高德, 腾讯 maps)."""
    if outside_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84 by iterating the forward transform."""
    w_lat, w_lon = lat, lon
    for _ in range(8):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        w_lat, w_lon = w_lat - (g_lat - lat), w_lon - (g_lon - lon)
    return w_lat, w_lon


_X_PI = math.pi * 3000.0 / 180.0


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to BD-09 (百度 maps), the published Baidu transform."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 to GCJ-02: the published inverse of gcj02_to_bd09, good to about half a metre."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def to_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """A point given in ``system`` (wgs84, gcj02 or bd09) as WGS-84."""
    if system == "wgs84":
        return lat, lon
    if system == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    raise ValueError(f"unknown coordinate system {system!r}: use wgs84, gcj02 or bd09")


def from_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """A WGS-84 point expressed in ``system`` (wgs84, gcj02 or bd09)."""
    if system == "wgs84":
        return lat, lon
    if system == "gcj02":
        return wgs84_to_gcj02(lat, lon)
    if system == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))
    raise ValueError(f"unknown coordinate system {system!r}: use wgs84, gcj02 or bd09")
