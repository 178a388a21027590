"""Prometheus counters of the ingest room."""

from prometheus_client import Counter, Gauge

FRAMES_DECODED = Counter(
    "tianwang_ingest_frames_decoded", "Frames decoded from camera streams.", ["camera"]
)
FRAMES_ANALYSED = Counter(
    "tianwang_ingest_frames_analysed", "Frames given to detectors (screen or confirm).", ["camera"]
)
STREAM_FAILURES = Counter(
    "tianwang_ingest_stream_failures",
    "Camera stream sessions that failed, by reason.",
    ["reason"],
)
STREAM_CONNECTS = Counter("tianwang_ingest_stream_connects", "Camera streams opened.")
CAMERAS_IN_FOCUS = Gauge("tianwang_ingest_cameras_in_focus", "Cameras decoding every frame.")
READINGS = Counter("tianwang_sensor_readings", "Sensor readings accepted, by kind.", ["kind"])
READINGS_REJECTED = Counter(
    "tianwang_sensor_readings_rejected", "Sensor messages rejected, by reason.", ["reason"]
)
MQTT_DISCONNECTS = Counter("tianwang_sensor_mqtt_disconnects", "Lost or failed broker connections.")
PACKETS = Counter("tianwang_ingest_packets", "Video packets received, by camera.", ["camera"])
DECODE_CPU = Counter(
    "tianwang_ingest_cpu_seconds",
    "CPU seconds of each camera's session thread (receive, demux, decode, analyse).",
    ["camera"],
)
FOCUS_SECONDS = Counter(
    "tianwang_ingest_focus_seconds", "Stream seconds spent in focus, by camera.", ["camera"]
)
RECONNECTS = Counter(
    "tianwang_ingest_reconnects", "Stream sessions that failed or ended, by camera.", ["camera"]
)
LAST_PACKET = Gauge(
    "tianwang_ingest_last_packet_timestamp_seconds",
    "Unix time of the last video packet, by camera (age = time() - this).",
    ["camera"],
)
FOCUS_HELD = Gauge("tianwang_ingest_focus_budget_held", "Cameras holding a focus place.")
FOCUS_WAITED = Counter(
    "tianwang_ingest_focus_waits", "Screen hits that waited: the focus budget was full."
)
FOCUS_EVICTED = Counter(
    "tianwang_ingest_focus_evictions", "Cameras sent back to patrol by a higher-priority one."
)
