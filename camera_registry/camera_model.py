"""What a camera record is: the fields people give (validated) and the record tianwang keeps."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from camera_registry.gb28181 import parse_device_id
from camera_registry.site_types import SiteType

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
CameraStatus = Literal["unknown", "online", "offline", "frozen", "covered", "moved", "degraded"]
RtspUrl = Annotated[str, Field(max_length=512, pattern=r"^(|rtsps?://\S+)$")]


class CameraFields(BaseModel):
    """The fields shared by a new camera and a change to one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("gb_id", check_fields=False)
    @classmethod
    def _gb_id_is_a_camera(cls, value: str | None) -> str | None:
        if value is not None:
            parse_device_id(value)  # the county is checked by the store, which knows it
        return value


class CameraIn(CameraFields):
    """A camera to add. Coordinates are in ``coord_system``; stored as WGS-84.

    User info inside an RTSP URL is moved to the credentials and never shown again.
    """

    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    gb_id: str = Field(description="20-digit GB/T 28181 device ID")
    name: str = Field(min_length=1, max_length=128)
    grid_id: str = Field(min_length=1, max_length=32, description="网格 code")
    site_id: str | None = Field(None, max_length=64)
    site_type: SiteType = "road"
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    coord_system: CoordSystem = "wgs84"
    rtsp_main: RtspUrl = ""
    rtsp_sub: RtspUrl = ""
    rtsp_username: str | None = Field(None, max_length=128)
    rtsp_password: SecretStr | None = Field(None, max_length=256)
    vendor: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=64)
    installed_on: date | None = None
    analytics: dict[str, Any] | None = None
    enabled: bool = True


class CameraPatch(CameraFields):
    """A change to a camera: only the fields given are changed."""

    gb_id: str | None = None
    name: str | None = Field(None, min_length=1, max_length=128)
    grid_id: str | None = Field(None, min_length=1, max_length=32)
    site_id: str | None = Field(None, max_length=64)
    site_type: SiteType | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    coord_system: CoordSystem | None = None
    rtsp_main: RtspUrl | None = None
    rtsp_sub: RtspUrl | None = None
    rtsp_username: str | None = Field(None, max_length=128)
    rtsp_password: SecretStr | None = Field(None, max_length=256)
    vendor: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=64)
    installed_on: date | None = None
    analytics: dict[str, Any] | None = None
    enabled: bool | None = None


class CameraRecord(BaseModel):
    """A camera as tianwang shows it: RTSP URLs without user info, no password anywhere."""

    model_config = ConfigDict(frozen=True)

    id: str
    gb_id: str
    name: str
    street: str
    community: str
    grid_id: str
    grid_name: str
    site_id: str | None
    site_type: str
    lat: float | None = Field(description="WGS-84")
    lon: float | None = Field(description="WGS-84")
    coord_system: str = Field(description="the system the coordinates were given in")
    rtsp_main: str
    rtsp_sub: str
    has_credentials: bool
    vendor: str | None
    model: str | None
    installed_on: date | None
    analytics: dict[str, Any] | None
    enabled: bool
    status: str
    status_since: datetime | None
    status_reason: str | None


class StatusChange(BaseModel):
    """One entry of a camera's status history."""

    status: str
    reason: str | None
    at: datetime
