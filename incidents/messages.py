"""An incident version as the outside world receives it: a CloudEvents 1.0 structured event.

``id`` is unique per message and kept across retries (also sent as ``Idempotency-Key``).
``data`` is shaped after CAP 1.2 (OASIS Common Alerting Protocol): ``msgType`` Alert for
the first version, Update for later ones, Cancel when it was a false alarm, with
``references`` naming the earlier messages. The JSON Schema is
``incidents/schemas/incident-event.v1.json``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from camera_registry.coordinates import wgs84_to_gcj02
from camera_registry.places import Place
from incidents.catalogue import IncidentType

CONTENT_TYPE = "application/cloudevents+json"
EVENT_TYPE = "cn.gov.dejiang.tianwang.incident.v1"
DATA_SCHEMA = "urn:tianwang:schema:incident-event:v1"


@dataclass(frozen=True, slots=True)
class IncidentVersion:
    """Everything one message says about one version of an incident."""

    incident_id: str
    version: int
    status: str
    itype: IncidentType
    severity: str
    certainty: str
    opened_at: datetime
    changed_at: datetime
    sources: list[dict[str, Any]]
    evidence: dict[str, Any]
    place: Place | None
    county_code: str
    workers: list[dict[str, str]]
    note: str | None = None


def msg_type(version: IncidentVersion) -> str:
    """CAP msgType: Alert, Update or Cancel."""
    if version.status == "false_alarm":
        return "Cancel"
    return "Alert" if version.version == 1 else "Update"


def _point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    return {
        "wgs84": {"lat": round(lat, 7), "lon": round(lon, 7)},
        "gcj02": {"lat": round(g_lat, 7), "lon": round(g_lon, 7)},
    }


def area(place: Place | None, county_code: str) -> dict[str, Any]:
    """CAP ``area``: a description, the point in both datums, and the place codes."""
    if place is None:
        return {
            "areaDesc": "unknown",
            "countyCode": county_code,
            "point": None,
            "street": None,
            "community": None,
            "grid": None,
        }
    return {
        "areaDesc": f"{place.street} {place.community} {place.grid_name} {place.label}",
        "countyCode": county_code,
        "point": _point(place.lat, place.lon),
        "street": {"code": place.street_code, "name": place.street},
        "community": {"code": place.community_code, "name": place.community},
        "grid": {"code": place.grid_id, "name": place.grid_name},
    }


def cloud_event(
    version: IncidentVersion, *, event_id: str, source: str, cap_status: str, references: list[str]
) -> dict[str, Any]:
    """The structured CloudEvent for one version, for one destination."""
    t = version.itype
    where = version.place.label if version.place else "unknown place"
    description = f"{t.headline}: {where}" + (f" ({version.note})" if version.note else "")
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": EVENT_TYPE,
        "subject": version.incident_id,
        "time": version.changed_at.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": DATA_SCHEMA,
        "data": {
            "incidentId": version.incident_id,
            "version": version.version,
            "status": cap_status,
            "msgType": msg_type(version),
            "references": references,
            "incidentStatus": version.status,
            "category": t.category,
            "event": t.event,
            "type": t.kind,
            "urgency": t.urgency,
            "severity": version.severity,
            "certainty": version.certainty,
            "headline": t.headline,
            "description": description,
            "onset": version.opened_at.isoformat(),
            "area": area(version.place, version.county_code),
            "sources": version.sources,
            "evidence": version.evidence,
            "dispatch": {
                "grid": version.place.grid_id if version.place else None,
                "workers": version.workers,
            },
        },
    }
