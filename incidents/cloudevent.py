"""The incident as 一网管 receives it: a CloudEvents 1.0 structured-mode JSON event.

``id`` is the outbox row's event id: stable across retries and sent again as the
``Idempotency-Key`` header, so the receiver can drop duplicates. ``data`` carries CAP
1.2 style fields; its JSON Schema is ``incidents/schemas/incident-event.v1.json``.
"""

from datetime import datetime
from typing import Any

from camera_registry.coordinates import wgs84_to_gcj02
from camera_registry.places import Place
from incidents.catalogue import IncidentType

CONTENT_TYPE = "application/cloudevents+json"
EVENT_TYPE = "cn.gov.dejiang.tianwang.incident.opened.v1"
DATA_SCHEMA = "urn:tianwang:schema:incident-event:v1"


def _point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    return {
        "wgs84": {"lat": round(lat, 7), "lon": round(lon, 7)},
        "gcj02": {"lat": round(g_lat, 7), "lon": round(g_lon, 7)},
    }


def area(place: Place | None) -> dict[str, Any]:
    """CAP-style ``area``: the grid, its street and community, and the point in both datums."""
    if place is None:
        return {"areaDesc": "unknown", "grid": None}
    return {
        "areaDesc": f"{place.street} {place.community} {place.grid_name} {place.label}",
        "grid": {
            "id": place.grid_id,
            "name": place.grid_name,
            "street": place.street,
            "community": place.community,
        },
        "point": _point(place.lat, place.lon),
    }


def incident_event(
    *,
    event_id: str,
    source: str,
    incident_id: str,
    itype: IncidentType,
    status: str,
    opened_at: datetime,
    source_kind: str,
    source_id: str,
    confidence: float,
    evidence: dict[str, Any],
    place: Place | None,
) -> dict[str, Any]:
    """The structured CloudEvent announcing a newly opened incident."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": EVENT_TYPE,
        "subject": incident_id,
        "time": opened_at.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": DATA_SCHEMA,
        "data": {
            "incident_id": incident_id,
            "status": status,
            "category": itype.category,
            "event": itype.event,
            "headline": itype.headline,
            "urgency": itype.urgency,
            "severity": itype.severity,
            "certainty": itype.certainty,
            "confidence": round(confidence, 3),
            "source": {"kind": source_kind, "id": source_id},
            "area": area(place),
            "evidence": evidence,
        },
    }
