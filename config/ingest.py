"""Video ingest settings: how streams are opened, sampled and re-opened, and when a camera
is unhealthy."""

from pydantic import Field

from config.base import Section


class CameraHealthSettings(Section):
    """When a camera counts as offline, frozen, covered, blurred or moved (ingest/camera_health.py)."""

    offline_after_failures: int = Field(
        3, ge=1, le=100, description="Failed connects in a row before a camera is offline."
    )
    frozen_s: float = Field(
        30.0, gt=0, le=3600, description="Identical key frames this long: frozen picture."
    )
    frozen_diff: float = Field(
        1.0, gt=0, le=50, description="Mean grey-level difference below which key frames match."
    )
    black_luma: float = Field(
        16.0, ge=0, le=128, description="Mean luminance below which a flat picture is black."
    )
    covered_luma_ratio: float = Field(
        0.35, gt=0, lt=1, description="Covered: luminance below this share of the baseline..."
    )
    covered_texture_ratio: float = Field(
        0.1, gt=0, lt=1, description="...and Laplacian variance below this share of it."
    )
    blur_ratio: float = Field(
        0.3, gt=0, lt=1, description="Blurred: Laplacian variance below this share of baseline."
    )
    hold_s: float = Field(
        10.0, ge=0, le=3600, description="A fault must last this long to be raised or cleared."
    )
    baseline_frames: int = Field(
        5, ge=1, le=1000, description="Key frames that make a camera's first baseline."
    )
    moved_every_s: float = Field(
        60.0, gt=0, le=86400, description="How often key-frame features are matched (ORB)."
    )
    moved_shift: float = Field(
        0.05, gt=0, lt=1, description="Moved: median feature shift, share of picture width."
    )


class IngestSettings(Section):
    """How each camera's RTSP sub-stream is read (PyAV) and how often frames are analysed."""

    rtsp_transport: str = Field("tcp", pattern="^(tcp|udp)$", description="RTP transport.")
    open_timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout to open a stream.")
    read_timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout for one packet read.")
    focus_fps: float = Field(5.0, gt=0, le=30, description="Analysis rate while in focus.")
    focus_s: float = Field(10.0, gt=0, le=600, description="How long a screen hit keeps focus.")
    patrol_every_s: float = Field(
        0.0,
        ge=0,
        le=60,
        description="In patrol, decode a key frame only this long after the last one (0: every "
        "key frame). Halves patrol's decode cost at 2x the GOP; delays a screen hit as much.",
    )
    health_every_s: float = Field(
        4.0, ge=0, le=600, description="How often a key frame goes to the picture health checks."
    )
    focus_budget: int | None = Field(
        32,
        ge=1,
        le=10_000,
        description="Cameras one worker lets decode every frame at once (screen hits, alarms, "
        "operators); the highest priority wins (fire > smoke > others, alarms above all). "
        "Cameras with counting lines are outside it. None: no limit.",
    )
    stall_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="No video packet for this long on an open stream: reconnect (stalled).",
    )
    main_stream_snapshots: bool = Field(
        True,
        description="Add a picture from the camera's main stream (when the register has one) "
        "to each camera incident; the sub-stream's picture is stored either way.",
    )
    main_stream_cooldown_s: float = Field(
        60.0, ge=0, le=3600, description="At most one main-stream picture per camera this often."
    )
    reconnect_initial_s: float = Field(1.0, gt=0, le=60, description="First reconnect delay.")
    reconnect_max_s: float = Field(60.0, gt=0, le=3600, description="Cap of the reconnect delay.")
    snapshot_keep_days: float = Field(
        90.0, gt=0, le=3650, description="Evidence snapshots older than this are removed."
    )
    snapshot_max_mb: float = Field(
        4096.0,
        gt=0,
        description="Snapshots beyond this much disk are removed oldest first (a JPEG of a "
        "640x360 frame is about 40 KB).",
    )
    health: CameraHealthSettings = CameraHealthSettings()
