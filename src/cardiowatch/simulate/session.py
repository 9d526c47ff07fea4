"""Register virtual devices with a server and stream records to it: what `cardiowatch simulate` runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cardiowatch.simulate.device import DEFAULT_FRAME_SAMPLES, Faults, VirtualDevice
from cardiowatch.simulate.runner import FRAMES_PER_SEND, DeviceResult, run_device
from cardiowatch.simulate.source import SignalSource
from cardiowatch.simulate.transports import HttpTransport, MqttTransport, Transport, WebSocketTransport

log = logging.getLogger(__name__)

TRANSPORTS = ("http", "ws", "mqtt")


@dataclass(frozen=True)
class DeviceCredentials:
    device_id: int
    name: str
    token: str
    #: First sequence number to send: one past the server's highest stored one, as a real device resumes
    #: from its flash; sending a stored seq again with other bytes is refused as `Replayed`.
    next_seq: int = 0


async def register_devices(base_url: str, names: list[str], *, api_key: str | None) -> list[DeviceCredentials]:
    """Register each name as a device (``POST /api/v1/devices``); an existing one gets a new token.

    An existing device resumes after the highest sequence number the server stored for it (its
    ``last_seq`` in ``GET /api/v1/devices``).
    """
    import httpx

    headers = {"X-API-Key": api_key} if api_key else {}
    creds: list[DeviceCredentials] = []
    async with httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=10.0) as client:
        existing: dict[str, dict] | None = None
        for name in names:
            next_seq = 0
            resp = await client.post("/api/v1/devices", json={"name": name})
            if resp.status_code == 409:
                if existing is None:
                    listing = await client.get("/api/v1/devices")
                    listing.raise_for_status()
                    existing = {d["name"]: d for d in listing.json()}
                known = existing[name]
                next_seq = 0 if known["last_seq"] is None else int(known["last_seq"]) + 1
                resp = await client.post(f"/api/v1/devices/{known['id']}/token")
            resp.raise_for_status()
            body = resp.json()
            creds.append(DeviceCredentials(int(body["id"]), body["name"], body["token"], next_seq=next_seq))
    return creds


def transport_factory(kind: str, *, base_url: str, creds: DeviceCredentials, mqtt_host: str = "127.0.0.1",
                      mqtt_port: int = 1883, mqtt_prefix: str = "cardiowatch") -> Callable[[], Transport]:
    """A function making a fresh transport of ``kind`` for one device."""
    if kind == "http":
        return lambda: HttpTransport(base_url, creds.token)
    if kind == "ws":
        return lambda: WebSocketTransport(base_url, creds.token)
    if kind == "mqtt":
        return lambda: MqttTransport(mqtt_host, mqtt_port, creds.device_id, creds.token, prefix=mqtt_prefix)
    raise ValueError(f"unknown transport {kind!r}; valid: {', '.join(TRANSPORTS)}")


async def stream_sources(
    sources: list[SignalSource],
    creds: list[DeviceCredentials],
    *,
    transport: str,
    base_url: str,
    speed: float = 1.0,
    faults: Faults = Faults(),
    frame_samples: int = DEFAULT_FRAME_SAMPLES,
    loop_forever: bool = False,
    stop: asyncio.Event | None = None,
    start_t_us: int = 0,
    clock_synced: bool = False,
    frames_per_send: int = FRAMES_PER_SEND,
    **transport_options: object,
) -> list[DeviceResult]:
    """Stream every source as its own device, all at once; return when all is acknowledged (or stopped)."""
    tasks = []
    for source, cred in zip(sources, creds, strict=True):
        device = VirtualDevice(cred.device_id, cred.token, source, frame_samples=frame_samples, faults=faults,
                               start_t_us=start_t_us, first_seq=cred.next_seq, clock_synced=clock_synced)
        make = transport_factory(transport, base_url=base_url, creds=cred, **transport_options)
        tasks.append(run_device(device, make, speed=speed, stop=stop, loop_forever=loop_forever,
                                frames_per_send=frames_per_send))
    return list(await asyncio.gather(*tasks))
