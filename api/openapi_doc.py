"""The error answers in the OpenAPI description: every status a route can give is documented.

Routes raise ``HTTPException(status, "why")``, answered as ``{"detail": "why"}``. FastAPI
documents only success and its own 422, so this adds, per operation, the refusals it
really gives: 401/403 (api/auth.py) on every route but the public ones, 400 for a body that
does not parse, 404 for an unknown or out-of-scope id, 409 for a conflict, 413 and 429
where they are raised, and a 422 that is either FastAPI's list of field errors or ours.
tests/integration/test_openapi_contract.py holds the answers to this with schemathesis.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PUBLIC = {("get", "/healthz"), ("post", "/api/v1/auth/login"), ("get", "/")}
CONFLICTS = {
    ("post", "/api/v1/cameras"),
    ("patch", "/api/v1/cameras/{camera_id}"),
    ("post", "/api/v1/sensors"),
    ("patch", "/api/v1/sensors/{sensor_id}"),
    ("post", "/api/v1/incidents/{incident_id}/transitions"),
    ("post", "/api/v1/deliveries/{delivery_id}/replay"),
}
RAW_BODY = {"/api/v1/cameras/import", "/api/v1/sensors/import"}  # a CSV, read as it comes
UNKNOWN_REFERENCE = {
    ("post", "/api/v1/cameras"),
    ("post", "/api/v1/sensors"),
    ("get", "/api/v1/map"),
}
THROTTLED = {("post", "/api/v1/auth/login")}

ERROR = {"$ref": "#/components/schemas/ApiError"}
ERROR_SCHEMA = {
    "title": "ApiError",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
WHY = {
    400: "the body is not what the route reads (unparseable JSON, a bad ledger file)",
    401: "anonymous: log in or send an API token",
    403: "the role may not do this, or a session's X-CSRF-Token is missing",
    404: "no such thing, or not in a grid worker's grids",
    409: "conflicts with the current state (a duplicate, a step the lifecycle refuses)",
    413: "the upload is too large",
    429: "too many failed logins; see Retry-After",
}


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": WHY[status],
        "content": {"application/json": {"schema": ERROR}},
    }
    if status == 429:
        answer["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return answer


def with_error_answers(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the refusals of each operation documented (changed in place)."""
    spec.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = ERROR_SCHEMA
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            answers: dict[str, Any] = operation.setdefault("responses", {})
            statuses: set[int] = set()
            if (method, path) not in PUBLIC:
                statuses |= {401, 403}
            if "requestBody" in operation or path in RAW_BODY:
                statuses.add(400)
            if "{" in path or (method, path) in UNKNOWN_REFERENCE:
                statuses.add(404)
            if (method, path) in CONFLICTS:
                statuses.add(409)
            if path in RAW_BODY:
                statuses.add(413)
            if (method, path) in THROTTLED:
                statuses |= {401, 429}
            for status in sorted(statuses):
                answers.setdefault(str(status), _error(status))
            if "422" in answers:  # FastAPI's field errors, or a refusal of ours
                content = (
                    answers["422"].setdefault("content", {}).setdefault("application/json", {})
                )
                fastapi_schema = content.get("schema")
                if fastapi_schema is not None and fastapi_schema != ERROR:
                    content["schema"] = {"anyOf": [fastapi_schema, ERROR]}
    return spec


def document_error_answers(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and /openapi.json) carry every route's error answers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_error_answers(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
