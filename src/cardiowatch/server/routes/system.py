"""Server information, health and ingest counters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from cardiowatch import __version__
from cardiowatch.protocol import MAX_FRAME_BYTES, VERSION
from cardiowatch.server.deps import ApiKeyDep, KeyedRoute
from cardiowatch.server.schemas import ServerInfo

router = APIRouter(prefix="/api/v1", tags=["system"], route_class=KeyedRoute)


@router.get("/info")
def info() -> ServerInfo:
    return ServerInfo(version=__version__, protocol_version=VERSION, max_frame_bytes=MAX_FRAME_BYTES)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/stats", dependencies=[ApiKeyDep])
def stats(request: Request) -> dict[str, Any]:
    """Ingest counters since start-up: messages by transport, frames stored, rejections by error."""
    state = request.app.state
    out = state.runtime.ingestor.counters.as_dict()
    out["live_subscribers"] = len(state.runtime.live.subscriptions_)
    out["mqtt"] = None if state.mqtt is None else state.mqtt.counters()
    return out
