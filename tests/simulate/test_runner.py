"""A device stops at once when told to, whatever its link is doing: nothing keeps retrying after a stop."""

from __future__ import annotations

import asyncio

import numpy as np

from cardiowatch.protocol import SensorKind
from cardiowatch.simulate.device import VirtualDevice
from cardiowatch.simulate.runner import run_device
from cardiowatch.simulate.source import SignalSource
from cardiowatch.simulate.transports import Ack, TransportError

#: Far below the runner's retry delays (0.2 s after a failed send, 1 s after a failed connect).
PROMPT_S = 0.15


def _device() -> VirtualDevice:
    n = 2500
    source = SignalSource("test", SensorKind.ECG, 250.0, np.zeros(n, dtype=np.int32), 5000, np.zeros(n, dtype=bool))
    return VirtualDevice(3, "tok", source)


class _DeadServer:
    """Connects once, then every send and every reconnect fails, as when the server is gone."""

    def __init__(self) -> None:
        self.connects = 0
        self.send_failed = asyncio.Event()
        self.reconnect_failed = asyncio.Event()

    async def connect(self) -> None:
        self.connects += 1
        if self.connects > 1:
            self.reconnect_failed.set()
            raise TransportError("connection refused")

    async def send_frames(self, frames: list[bytes]) -> Ack:
        self.send_failed.set()
        raise TransportError("connection refused")

    async def send_status(self, status_json: bytes) -> None:
        raise TransportError("connection refused")

    async def close(self) -> None:
        return None


def _stop_once(failure: str) -> tuple[bool, int]:
    """Run a device against a dead server and stop it when ``failure`` happened; (ended promptly, connects)."""

    async def main() -> tuple[bool, int]:
        stop = asyncio.Event()
        server = _DeadServer()
        task = asyncio.create_task(run_device(_device(), lambda: server, speed=0, stop=stop, loop_forever=True))
        await asyncio.wait_for(getattr(server, failure).wait(), 5.0)
        connects = server.connects
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=PROMPT_S)
        if not done:
            task.cancel()
        elif task.exception() is not None:
            raise task.exception()
        return bool(done), server.connects - connects

    return asyncio.run(main())


def test_run_device_returns_promptly_when_stopped_after_a_failed_send() -> None:
    ended, connects_after_stop = _stop_once("send_failed")
    assert ended
    assert connects_after_stop == 0


def test_run_device_returns_promptly_when_stopped_while_reconnecting() -> None:
    ended, connects_after_stop = _stop_once("reconnect_failed")
    assert ended
    assert connects_after_stop == 0
