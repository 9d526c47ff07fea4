"""``/ws/live``: the live feed dashboards subscribe to (see `cardiowatch.server.live`)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.deps import api_key_valid
from cardiowatch.server.ids import parse_device_id
from cardiowatch.server.live import LinkState

router = APIRouter(tags=["live"])

WS_POLICY_VIOLATION = 1008


@router.websocket("/ws/live")
async def live_feed(websocket: WebSocket) -> None:
    """Stream live messages; ``?device_id=N`` for one device (ASCII digits; anything else is refused
    with 1008), ``?types=alert,status`` for some types only; ``?api_key=`` when the server has a key."""
    if not api_key_valid(websocket.app.state.settings, websocket.query_params.get("api_key")):
        await websocket.close(WS_POLICY_VIOLATION, "missing or wrong api_key")
        return
    device = websocket.query_params.get("device_id")
    try:
        device_id = None if device is None else parse_device_id(device)
    except ValueError as exc:   # a malformed id must never widen the feed to every device
        await websocket.close(WS_POLICY_VIOLATION, f"device_id: {exc}"[:120])
        return
    hub = websocket.app.state.runtime.live
    await websocket.accept()
    types = websocket.query_params.get("types")
    sub = hub.subscribe(device_id, None if not types else frozenset(t.strip() for t in types.split(",")))
    sub.state = LinkState.STREAMING
    await websocket.send_json({"type": "hello", "device_id": sub.device_id, "notice": NOT_A_MEDICAL_DEVICE})

    async def drain_client() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    reader = asyncio.create_task(drain_client())
    try:
        while not reader.done():
            getter = asyncio.create_task(sub.queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await websocket.send_json(getter.result())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(sub)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
