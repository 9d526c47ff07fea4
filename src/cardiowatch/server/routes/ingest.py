"""Device ingest over HTTP (batches of frames, status) and WebSocket; both call `Runtime.ingest`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import JSONResponse

from cardiowatch.server.deps import TokenDep, bearer_token
from cardiowatch.server.ingest import IngestRejected, PayloadKind, PayloadTooLarge, Unauthorized
from cardiowatch.server.schemas import IngestAnswerPublic

logger = logging.getLogger(__name__)

router = APIRouter(tags=["ingest"])

_ANSWERS = {200: {"model": IngestAnswerPublic, "description": "every frame stored (or already stored)"},
            400: {"model": IngestAnswerPublic, "description": "some frames rejected; the others are stored"},
            401: {"description": "missing, unknown or revoked device token"},
            409: {"model": IngestAnswerPublic, "description": "seq already stored with other bytes"},
            413: {"description": "more bytes or frames than allowed"}}

HTTP_TOO_LARGE = 413  # starlette renamed the constant between versions
WS_INVALID_PAYLOAD = 1007
WS_POLICY_VIOLATION = 1008
WS_MESSAGE_TOO_BIG = 1009


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(HTTP_TOO_LARGE, f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(HTTP_TOO_LARGE, f"body over {limit} bytes")
    return bytes(body)


async def _ingest_http(request: Request, token: str | None, kind: PayloadKind) -> JSONResponse:
    runtime = request.app.state.runtime
    if token is None:
        # Refused from the headers: no body read, nothing queued behind the devices' frames.
        runtime.ingestor.counters.rejected[Unauthorized.__name__] += 1
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing device token",
                            headers={"WWW-Authenticate": "Bearer"})
    body = await _read_body(request, runtime.ingestor.max_bytes)
    try:
        answer = await runtime.ingest(body, kind=kind, token=token, transport="http")
    except Unauthorized as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc),
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    except PayloadTooLarge as exc:
        raise HTTPException(HTTP_TOO_LARGE, str(exc)) from exc
    return JSONResponse(answer.body(), status_code=answer.http_status)


@router.post("/api/v1/ingest/frames", responses=_ANSWERS, response_model=IngestAnswerPublic,
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def ingest_frames(request: Request, token: TokenDep) -> JSONResponse:
    """One or more binary frames back to back (docs/protocol.md), ``Authorization: Bearer <token>``."""
    return await _ingest_http(request, token, PayloadKind.FRAMES)


@router.post("/api/v1/ingest/status", responses=_ANSWERS, response_model=IngestAnswerPublic,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}})
async def ingest_status(request: Request, token: TokenDep) -> JSONResponse:
    """One JSON status message (docs/protocol.md §2), ``Authorization: Bearer <token>``."""
    return await _ingest_http(request, token, PayloadKind.STATUS)


@router.websocket("/ws/ingest")
async def ingest_websocket(websocket: WebSocket) -> None:
    """Binary messages: frames; text messages: status JSON. Each gets the HTTP answer as a text message."""
    runtime = websocket.app.state.runtime
    token = bearer_token(websocket.headers.get("authorization")) or websocket.query_params.get("token")
    await websocket.accept()
    try:
        await runtime.run(runtime.ingestor.authenticate, token)
    except Unauthorized as exc:
        runtime.ingestor.counters.rejected["Unauthorized"] += 1
        await websocket.close(WS_POLICY_VIOLATION, str(exc)[:120])
        return
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                payload, kind = message["bytes"], PayloadKind.FRAMES
            else:
                payload, kind = (message.get("text") or "").encode(), PayloadKind.STATUS
            try:
                answer = await runtime.ingest(payload, kind=kind, token=token, transport="websocket")
            except IngestRejected as exc:
                code = WS_MESSAGE_TOO_BIG if isinstance(exc, PayloadTooLarge) else WS_POLICY_VIOLATION
                await websocket.close(code, str(exc)[:120])
                return
            await websocket.send_json(answer.body())
            if answer.rejected:
                await websocket.close(WS_INVALID_PAYLOAD, answer.rejected[0].error)
                return
    except WebSocketDisconnect:
        return
