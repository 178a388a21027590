"""What one camera runs: its frame detectors, picture health thresholds, analytics config and
stream sampling policy."""

import logging
from typing import Any

from pydantic import ValidationError

from config.settings import Settings
from detectors.analytics_config import AnalyticsConfig
from detectors.fire import FireDetector, FireParams
from detectors.frame_api import FrameDetector
from detectors.sanitation import DumpingDetector, DumpingParams
from detectors.smoke import SmokeDetector, SmokeParams
from detectors.static_objects import DualBackground
from detectors.traffic import TrafficDetector, TrafficParams
from ingest.camera_health import HealthParams
from ingest.camera_session import SessionPolicy

log = logging.getLogger(__name__)


def health_params(settings: Settings) -> HealthParams:
    """The picture health thresholds from the settings."""
    return HealthParams(**settings.ingest.health.model_dump(exclude={"offline_after_failures"}))


def frame_detectors(
    settings: Settings, analytics: AnalyticsConfig | None = None
) -> list[FrameDetector]:
    """The frame detectors one camera runs, each with its own state.

    Fire and smoke look at the whole picture minus the camera's mask zones; traffic and
    sanitation run only when the camera's analytics config gives them lines or zones.
    """
    config = analytics or AnalyticsConfig()
    d = settings.detectors
    found: list[FrameDetector] = []
    fire: FireDetector | None = None
    if d.fire.enabled:
        fire = FireDetector(FireParams(**d.fire.model_dump(exclude={"enabled"})), config)
        found.append(fire)
    if d.smoke.enabled:
        # Smoke learns where the fire detector saw a flame: its smoke is expected there.
        smoke_params = SmokeParams(**d.smoke.model_dump(exclude={"enabled"}))
        found.append(SmokeDetector(smoke_params, config, flames=fire))
    background = DualBackground()  # one long/short-term model per camera, shared
    traffic_params = TrafficParams(**d.traffic.model_dump(exclude={"enabled"}))
    traffic = TrafficDetector(config, traffic_params, background)
    if d.traffic.enabled and traffic.continuous:
        found.append(traffic)
    if d.sanitation.enabled and config.zones_of("sanitation"):
        params = DumpingParams(**d.sanitation.model_dump(exclude={"enabled"}))
        found.append(DumpingDetector(config, params, background))
    return found


def analytics_of(camera_id: str, stored: dict[str, Any] | None) -> AnalyticsConfig | None:
    """A camera's analytics config from the registry; a stored one that no longer validates
    is logged and ignored (fire and smoke still run on the whole picture)."""
    if not stored:
        return None
    try:
        return AnalyticsConfig.model_validate(stored)
    except ValidationError as exc:
        log.error("camera %s: analytics config ignored, it does not validate: %s", camera_id, exc)
        return None


def session_policy(settings: Settings) -> SessionPolicy:
    """How the service opens and samples each camera's stream, from the settings."""
    i = settings.ingest
    return SessionPolicy(
        transport=i.rtsp_transport,
        open_timeout_s=i.open_timeout_s,
        read_timeout_s=i.read_timeout_s,
        focus_fps=i.focus_fps,
        focus_s=i.focus_s,
        patrol_every_s=i.patrol_every_s,
        health_every_s=i.health_every_s,
        stall_s=i.stall_s,
    )
