"""Replay records through a real running server, accelerated, and read back what it stored.

The server runs under uvicorn on a loopback port with a clock that runs ``speed`` times faster than the wall
clock from the replay's start, and the virtual devices (CLOCK_SYNCED, starting at the same instant) pace
their frames by the same factor: device time and server time stay together, so alert hysteresis and
latencies keep their meaning in the record's own time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cardiowatch.simulate.device import Faults
from cardiowatch.simulate.runner import DeviceResult
from cardiowatch.simulate.session import DeviceCredentials, register_devices, stream_sources
from cardiowatch.simulate.source import SignalSource

API_KEY = "e2e-replay-key-0123456789"
T0_S = 1_800_000_000.0  #: Unix time of every record's first sample


class ReplayClock:
    """Unix seconds that stand still at ``t0_s`` until `start`, then run ``speed`` times the wall clock."""

    def __init__(self, t0_s: float, speed: float) -> None:
        self.t0_s, self.speed = t0_s, speed
        self._wall0: float | None = None

    def start(self) -> None:
        self._wall0 = time.monotonic()

    @property
    def wall0(self) -> float:
        if self._wall0 is None:
            raise RuntimeError("ReplayClock.wall0 before start()")
        return self._wall0

    def __call__(self) -> float:
        if self._wall0 is None:
            return self.t0_s
        return self.t0_s + (time.monotonic() - self._wall0) * self.speed


@dataclass
class ReplayServer:
    folder: Path
    clock: ReplayClock
    settings: dict = field(default_factory=dict)

    def __enter__(self) -> "ReplayServer":
        import uvicorn

        from cardiowatch.dashboard.harness import free_port
        from cardiowatch.app import create_app
        from cardiowatch.server.config import Settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = Settings(database_url=f"sqlite:///{self.folder / 'replay.db'}", api_key=API_KEY,
                            retention_days=0, **self.settings)
        self.app = create_app(settings, clock=self.clock)
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("replay server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def get(self, path: str, **params: object) -> object:
        resp = httpx.get(self.url + path, params=params, headers={"X-API-Key": API_KEY}, timeout=30)
        resp.raise_for_status()
        return resp.json()


def replay(server: ReplayServer, sources: list[SignalSource], names: list[str], *, speed: float,
           transport: str = "http", faults: Faults = Faults(), frame_samples: int = 360,
           frames_per_send: int = 2, **transport_options: object) -> tuple[list[DeviceCredentials], list[DeviceResult]]:
    """Register one device per source, stream them all at ``speed``; return when all is acknowledged."""

    async def main() -> tuple[list[DeviceCredentials], list[DeviceResult]]:
        creds = await register_devices(server.url, names, api_key=API_KEY)
        server.clock.start()
        results = await stream_sources(sources, creds, transport=transport, base_url=server.url, speed=speed,
                                       faults=faults, frame_samples=frame_samples, start_t_us=int(T0_S * 1e6),
                                       clock_synced=True, frames_per_send=frames_per_send, **transport_options)
        return creds, results

    return asyncio.run(main())


def record_time_at(result: DeviceResult, clock: ReplayClock, server_t_s: float, *, seconds_per_frame: float) -> float:
    """How much of the record (s) the server had stored when its clock read ``server_t_s``.

    Taken from the first acknowledgement at or after that moment (the batch being stored then), so a
    latency measured with it is in the record's own time and leaves out the replay's queueing; it errs
    late by at most one batch (``frames_per_send`` frames).
    """
    mono = clock.wall0 + (server_t_s - clock.t0_s) / clock.speed
    for at, seq in result.ack_log:
        if at >= mono:
            return (seq + 1) * seconds_per_frame
    return float("inf")


def stored_beats(server: ReplayServer, device_id: int, *, fs: float) -> list[tuple[int, str]]:
    """(sample from the record's start, AAMI label) of every beat the server stored for a device."""
    beats: list[tuple[int, str]] = []
    start_us = 0
    while True:
        page = server.get(f"/api/v1/devices/{device_id}/beats", start_us=start_us, limit=5000)
        beats += [(round((b["t_us"] - T0_S * 1e6) * fs / 1e6), b["label"]) for b in page]
        if len(page) < 5000:
            return beats
        start_us = page[-1]["t_us"] + 1
