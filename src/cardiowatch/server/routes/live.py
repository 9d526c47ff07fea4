"""``/ws/live``: the live feed dashboards subscribe to (see `cardiowatch.server.live`)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.server.live import LinkState

router = APIRouter(tags=["live"])


@router.websocket("/ws/live")
async def live_feed(websocket: WebSocket) -> None:
    """Stream live messages; ``?device_id=N`` for one device, ``?types=alert,status`` for some types only;
    ``?api_key=`` when the server has a key."""
    settings = websocket.app.state.settings
    if settings.api_key is not None and websocket.query_params.get("api_key") != settings.api_key.get_secret_value():
        await websocket.close(1008, "missing or wrong api_key")
        return
    device = websocket.query_params.get("device_id")
    hub = websocket.app.state.runtime.live
    await websocket.accept()
    types = websocket.query_params.get("types")
    sub = hub.subscribe(int(device) if device and device.isdigit() else None,
                        None if not types else frozenset(t.strip() for t in types.split(",")))
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
