"""GB/T 28181 device IDs: 20 digits that say where a camera is and what it is.

Layout (GB/T 28181-2016, appendix D): 8-digit centre code (6-digit administrative
division code + 2-digit grass-roots unit), 2-digit industry code, 3-digit type code
(131 camera, 132 network camera, among others), 1-digit network code, 6-digit serial.
"""

import re
from dataclasses import dataclass

CAMERA_TYPES = frozenset({"131", "132"})
_DIGITS = re.compile(r"^\d{20}$")


class InvalidDeviceId(ValueError):
    """A string that is not a valid GB/T 28181 camera device ID (the message says why)."""


@dataclass(frozen=True, slots=True)
class DeviceId:
    """A parsed 20-digit GB/T 28181 device ID."""

    centre: str
    industry: str
    type_code: str
    network: str
    serial: str

    @property
    def division(self) -> str:
        """The 6-digit administrative division code inside the centre code."""
        return self.centre[:6]

    def __str__(self) -> str:
        return f"{self.centre}{self.industry}{self.type_code}{self.network}{self.serial}"


def parse_device_id(value: str, county_code: str | None = None) -> DeviceId:
    """Parse and validate a camera's device ID; with ``county_code``, it must be that county's."""
    if not _DIGITS.match(value):
        raise InvalidDeviceId(f"GB/T 28181 ID must be 20 digits, got {value!r}")
    parsed = DeviceId(value[0:8], value[8:10], value[10:13], value[13], value[14:20])
    if parsed.type_code not in CAMERA_TYPES:
        raise InvalidDeviceId(
            f"GB/T 28181 type code {parsed.type_code} is not a camera (131 or 132): {value}"
        )
    if county_code is not None and parsed.division != county_code:
        raise InvalidDeviceId(
            f"GB/T 28181 ID {value} belongs to division {parsed.division}, not {county_code}"
        )
    return parsed
