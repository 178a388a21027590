"""A stand-in for 一网管's event intake: checks signatures, rejects stale timestamps, drops
duplicates by id, lists what came, and can be told to misbehave for tests.

``tianwang receiver`` runs it on its own port for the demo and the tests; the real
platform's side of the contract is the same: CloudEvents structured JSON, Standard
Webhooks signature, ``Idempotency-Key``.
"""

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incidents.messages import CONTENT_TYPE
from incidents.signing import InvalidSignature, verify

log = logging.getLogger(__name__)


@dataclass
class ReceivedEvents:
    """Events kept once each by id, in order of first arrival, and what was turned away."""

    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    rejected: int = 0
    journal: Path | None = None

    def add(self, event: dict[str, Any]) -> bool:
        """Keep ``event``; False when its id was already received."""
        if event["id"] in self.events:
            self.duplicates += 1
            return False
        self.events[event["id"]] = event
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as out:
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
        return True

    def versions(self) -> dict[str, list[int]]:
        """Each incident's versions in the order they first arrived."""
        seen: dict[str, list[int]] = {}
        for event in self.events.values():
            data = event.get("data", {})
            seen.setdefault(data.get("incidentId", "?"), []).append(data.get("version", 0))
        return seen


@dataclass
class Faults:
    """Shares of POSTs to answer 503, to drop after storing, or to answer slowly."""

    fail: float = 0.0
    drop: float = 0.0
    slow: float = 0.0
    slow_s: float = 10.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    counts: dict[str, int] = field(default_factory=lambda: {"failed": 0, "dropped": 0, "slowed": 0})


class _Dropped(Exception):
    """Raised to make the server close the connection without a complete answer."""


class FaultInjection:
    """ASGI middleware that makes POST /events fail, drop or stall on a share of requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        f = self.faults
        roll = f.rng.random()
        if roll < f.fail:
            f.counts["failed"] += 1
            answer = JSONResponse(
                {"error": "injected 503"}, status_code=503, headers={"Retry-After": "1"}
            )
            await answer(scope, receive, send)
            return
        if roll < f.fail + f.drop:
            f.counts["dropped"] += 1

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)  # the event is stored ...
            await send(
                {
                    "type": "http.response.start",
                    "status": 202,
                    "headers": [(b"content-length", b"64")],
                }
            )
            raise _Dropped(
                "injected: connection dropped after the event was stored"
            )  # ... the 2xx is lost
        if roll < f.fail + f.drop + f.slow:
            f.counts["slowed"] += 1
            await asyncio.sleep(f.slow_s)
        await self.app(scope, receive, send)


def create_receiver(
    secret: str | None, store: ReceivedEvents | None = None, faults: Faults | None = None
) -> ASGIApp:
    """The receiver app; with ``secret`` every event must carry a valid, recent signature."""
    app = FastAPI(title="一网管 stand-in (tianwang receiver)", version="0.2.0")
    received = store or ReceivedEvents()
    app.state.received = received

    @app.post("/events", status_code=202, summary="Take one CloudEvent")
    async def take_event(request: Request) -> JSONResponse:
        body = await request.body()
        if request.headers.get("content-type", "").split(";")[0].strip() != CONTENT_TYPE:
            return _reject(received, 415, f"content-type must be {CONTENT_TYPE}")
        if secret is not None:
            try:
                verify(secret, dict(request.headers), body)
            except InvalidSignature as exc:
                return _reject(received, 401, str(exc))
        try:
            event = json.loads(body)
        except json.JSONDecodeError:
            return _reject(received, 400, "body is not JSON")
        if not isinstance(event, dict) or event.get("specversion") != "1.0" or "id" not in event:
            return _reject(received, 400, "not a CloudEvents 1.0 structured event")
        key = request.headers.get("idempotency-key")
        if key is not None and key != event["id"]:
            return _reject(received, 400, "Idempotency-Key differs from the event id")
        new = received.add(event)
        return JSONResponse(
            {"id": event["id"], "duplicate": not new}, status_code=202 if new else 200
        )

    @app.get("/events", summary="Everything received, oldest first")
    async def list_events() -> dict[str, Any]:
        return {
            "count": len(received.events),
            "duplicates": received.duplicates,
            "rejected": received.rejected,
            "events": list(received.events.values()),
        }

    @app.get("/events/{event_id}", summary="One received event")
    async def get_event(event_id: str) -> dict[str, Any]:
        if event_id not in received.events:
            raise HTTPException(404, f"no event {event_id}")
        return received.events[event_id]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return FaultInjection(app, faults) if faults is not None else app


def _reject(received: ReceivedEvents, status: int, reason: str) -> JSONResponse:
    received.rejected += 1
    log.warning("receiver: rejected an event (%d): %s", status, reason)
    return JSONResponse({"error": reason}, status_code=status)
