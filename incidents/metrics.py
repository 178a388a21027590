"""Prometheus counters of the incidents room."""

from prometheus_client import Counter

DETECTIONS = Counter("tianwang_incidents_detections", "Detections received, by kind.", ["kind"])
OPENED = Counter("tianwang_incidents_opened", "Incidents opened, by type.", ["type"])
SUPPRESSED = Counter(
    "tianwang_incidents_suppressed",
    "Detections in a closed incident's cooldown, by kind.",
    ["kind"],
)
DEAD_LETTERS = Counter(
    "tianwang_delivery_dead_letters",
    "Messages refused for good (4xx), by destination kind.",
    ["destination"],
)
DELIVERED = Counter("tianwang_delivery_delivered", "Outbox events delivered to 一网管.")
DELIVERY_FAILURES = Counter(
    "tianwang_delivery_failures", "Failed delivery attempts, by reason.", ["reason"]
)
