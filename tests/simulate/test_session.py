"""A device registered again resumes after the server's last stored frame, as a real one resumes from flash."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.protocol import SensorKind
from cardiowatch.simulate.runner import DeviceResult
from cardiowatch.simulate.session import DeviceCredentials, register_devices, stream_sources
from cardiowatch.simulate.source import SignalSource

API_KEY = "simulate-session-key-0123456789"
FRAME_SAMPLES = 50
FRAMES = 4


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    from cardiowatch.dashboard.harness import free_port
    from cardiowatch.app import create_app
    from cardiowatch.server.config import Settings

    port = free_port()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'session.db'}", api_key=API_KEY, retention_days=0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _source(seed: int) -> SignalSource:
    """A short ECG-like source; another seed gives other bytes under the same sequence numbers."""
    n = FRAME_SAMPLES * FRAMES
    counts = np.random.default_rng(seed).integers(-300, 300, n).astype(np.int32)
    return SignalSource("test", SensorKind.ECG, 250.0, counts, 5000, np.zeros(n, dtype=bool))


def _run_once(url: str, seed: int) -> tuple[DeviceCredentials, DeviceResult]:
    async def main() -> tuple[DeviceCredentials, DeviceResult]:
        (cred,) = await register_devices(url, ["bed9"], api_key=API_KEY)
        (result,) = await stream_sources([_source(seed)], [cred], transport="http", base_url=url, speed=0,
                                         frame_samples=FRAME_SAMPLES)
        return cred, result

    return asyncio.run(main())


def test_new_device_starts_at_seq_zero(server_url: str) -> None:
    cred, result = _run_once(server_url, seed=1)
    assert cred.next_seq == 0
    assert (result.frames_acknowledged, result.frames_rejected) == (FRAMES, 0)


def test_registered_again_the_device_resumes_after_its_stored_frames_and_nothing_is_refused(server_url: str) -> None:
    _run_once(server_url, seed=1)
    cred, result = _run_once(server_url, seed=2)
    assert cred.next_seq == FRAMES
    assert (result.frames_acknowledged, result.frames_rejected) == (FRAMES, 0)
    assert result.ack_log[-1][1] == 2 * FRAMES - 1
