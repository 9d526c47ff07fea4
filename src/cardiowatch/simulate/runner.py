"""Run virtual devices against a server: pacing (real time, accelerated, flat out) and the send loop.

Frames always leave a device in sequence order, oldest unacknowledged first, like the firmware's offline
queue: a lost send or a dropped link means the same frames go again, and the server's dedupe by
(device, seq) makes the resend harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cardiowatch.simulate.device import VirtualDevice
from cardiowatch.simulate.transports import Transport, TransportError

log = logging.getLogger(__name__)

#: Frames per send: one HTTP request / WebSocket message carries up to this many.
FRAMES_PER_SEND = 10
_RETRY_S = 0.2
_IDLE_S = 0.02


@dataclass(frozen=True)
class DeviceResult:
    device_id: int
    ack_log: tuple[tuple[float, int], ...]  #: (time.monotonic(), highest seq) per acknowledgement
    frames_acknowledged: int
    frames_rejected: int
    sends_lost: int
    duplicates_sent: int
    reconnects: int


async def run_device(
    device: VirtualDevice,
    make_transport: Callable[[], Transport],
    *,
    speed: float = 1.0,
    stop: asyncio.Event | None = None,
    loop_forever: bool = False,
    frames_per_send: int = FRAMES_PER_SEND,
) -> DeviceResult:
    """Stream ``device``'s source through a transport until it is all acknowledged (or ``stop`` is set).

    ``speed`` 1 is real time, 10 is ten times faster, 0 is as fast as the server takes it.
    """
    transport = make_transport()
    if not await _connect(transport, stop):
        return _result(device, rejected=0, reconnects=0)
    t0 = time.monotonic()
    rejected = 0
    reconnects = 0
    next_reconnect_s = device.faults.reconnect_every_s
    try:
        while not (stop is not None and stop.is_set()):
            device_t = float("inf") if speed <= 0 else (time.monotonic() - t0) * speed
            device.frames_until(device_t)
            if next_reconnect_s is not None and device_t >= next_reconnect_s:
                await transport.close()
                if not await _connect(transport, stop):
                    break
                reconnects += 1
                next_reconnect_s += device.faults.reconnect_every_s
            batch = device.to_send(limit=frames_per_send)
            if not batch:
                if device.done:
                    if not loop_forever:
                        break
                    device.restart_source()
                    continue
                await _pause(stop, _IDLE_S if speed > 0 else 0)
                continue
            if device.transit_lost(batch[0]):
                await _pause(stop, _RETRY_S / max(speed, 1.0))  # the request never arrived; go again
                continue
            payload = [f.data for f in batch]
            if device.send_twice():
                payload = payload + payload
            try:
                ack = await transport.send_frames(payload)
            except TransportError as exc:
                log.info("device %d: %s; reconnecting", device.device_id, exc)
                await transport.close()
                if await _pause(stop, _RETRY_S) or not await _connect(transport, stop):
                    break
                reconnects += 1
                continue
            device.acknowledge(list(ack.safe_to_forget))
            if ack.rejected:
                rejected += len(ack.rejected)
                bad = {r.get("seq") for r in ack.rejected}
                log.warning("device %d: server rejected %s", device.device_id, ack.rejected[:3])
                device.acknowledge([s for s in bad if s is not None])  # a rejected frame is never resent
    finally:
        await transport.close()
    return _result(device, rejected=rejected, reconnects=reconnects)


def _result(device: VirtualDevice, *, rejected: int, reconnects: int) -> DeviceResult:
    return DeviceResult(device.device_id, tuple(device.ack_log), device.acknowledged, rejected,
                        device.dropped_in_transit, device.duplicates_sent, reconnects)


async def _connect(transport: Transport, stop: asyncio.Event | None) -> bool:
    """Connect, retrying until it works (True) or ``stop`` is set (False)."""
    while not (stop is not None and stop.is_set()):
        try:
            await transport.connect()
            return True
        except TransportError as exc:
            log.info("connect failed (%s); retrying", exc)
            await _pause(stop, _RETRY_S * 5)
    return False


async def _pause(stop: asyncio.Event | None, seconds: float) -> bool:
    """Wait ``seconds``, or less when ``stop`` is set meanwhile; True when it is set.

    Waiting on the event rather than sleeping lets a shutting-down demo end every device at once instead
    of after each one's retry delay.
    """
    if stop is None or seconds <= 0:
        await asyncio.sleep(seconds)
        return stop is not None and stop.is_set()
    if not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            return False
    return True
