"""Video ingest settings: how streams are opened, sampled and re-opened."""

from pydantic import Field

from config.base import Section


class IngestSettings(Section):
    """How each camera's RTSP sub-stream is read (PyAV) and how often frames are analysed."""

    rtsp_transport: str = Field("tcp", pattern="^(tcp|udp)$", description="RTP transport.")
    open_timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout to open a stream.")
    read_timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout for one packet read.")
    focus_fps: float = Field(5.0, gt=0, le=30, description="Analysis rate while in focus.")
    focus_s: float = Field(10.0, gt=0, le=600, description="How long a screen hit keeps focus.")
    reconnect_initial_s: float = Field(1.0, gt=0, le=60, description="First reconnect delay.")
    reconnect_max_s: float = Field(60.0, gt=0, le=3600, description="Cap of the reconnect delay.")
