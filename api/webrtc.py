"""/api/v1/cameras/{id}/webrtc: a camera's live view, SDP offer in, SDP answer out.

The browser gathers its ICE candidates before it posts the offer (no trickle), and the
answer carries ours, so one request sets the call up. DELETE ends the viewer's session; a
closed or failed peer connection ends it too.
"""

from typing import Annotated, Literal

from aiortc import RTCSessionDescription
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import CurrentPrincipal
from api.camera_scope import visible_camera
from api.dependencies import get_engine
from api.live_video import LiveVideo, UpstreamUnavailable

router = APIRouter(prefix="/api/v1/cameras", tags=["live view"])
Engine = Annotated[AsyncEngine, Depends(get_engine)]


class Offer(BaseModel):
    """The browser's SDP offer (RTCPeerConnection.localDescription after ICE gathering)."""

    sdp: str = Field(min_length=1, max_length=100_000)
    type: Literal["offer"]


class Answer(BaseModel):
    """Our SDP answer and the id that ends this viewer's session."""

    sdp: str
    type: Literal["answer"] = "answer"
    session: str = Field(description="DELETE /api/v1/cameras/{id}/webrtc/{session} to leave")


def _live_video(request: Request) -> LiveVideo:
    live: LiveVideo = request.app.state.live_video
    return live


@router.post(
    "/{camera_id}/webrtc",
    summary="Start a live view: SDP offer → answer",
    responses={
        404: {"description": "no such camera (or not in a grid worker's grids)"},
        502: {"description": "the camera's stream did not open"},
    },
)
async def post_offer(
    camera_id: str, offer: Offer, request: Request, engine: Engine, principal: CurrentPrincipal
) -> Answer:
    """One upstream RTSP connection per camera is shared by every viewer of it."""
    await visible_camera(engine, principal, camera_id)
    live = _live_video(request)
    try:
        session, sdp = await live.answer(camera_id, RTCSessionDescription(offer.sdp, offer.type))
    except UpstreamUnavailable as exc:
        raise HTTPException(502, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return Answer(sdp=sdp, session=session)


@router.delete(
    "/{camera_id}/webrtc/{session}",
    status_code=204,
    summary="Leave a live view",
    responses={404: {"description": "no such live-view session"}},
)
async def delete_session(
    camera_id: str, session: str, request: Request, engine: Engine, principal: CurrentPrincipal
) -> Response:
    """Close this viewer; the camera's last viewer closes its upstream connection."""
    await visible_camera(engine, principal, camera_id)
    if not await _live_video(request).leave(camera_id, session):
        raise HTTPException(404, "no such live-view session")
    return Response(status_code=204)
