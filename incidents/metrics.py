"""Prometheus counters of the incidents room."""

from prometheus_client import Counter

DETECTIONS = Counter("tianwang_incidents_detections", "Detections received, by kind.", ["kind"])
OPENED = Counter("tianwang_incidents_opened", "Incidents opened, by type.", ["type"])
DELIVERED = Counter("tianwang_delivery_delivered", "Outbox events delivered to 一网管.")
DELIVERY_FAILURES = Counter(
    "tianwang_delivery_failures", "Failed delivery attempts, by reason.", ["reason"]
)
