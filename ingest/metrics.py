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
