"""The browser tests' harness (`cardiowatch.dashboard.harness`) on loopback: its users can log in, its
streaming device streams in order with synced time, and its lead-off switch reaches the stored frames."""

from __future__ import annotations

import time

import httpx
import pytest

from cardiowatch.dashboard.harness import LiveServer, StreamingDevice
from cardiowatch.protocol import FrameFlags

#: Longest wait for the device to have streamed what a step needs (it streams in real time).
WAIT_S = 20.0


def wait_for(condition, what: str) -> None:  # noqa: ANN001 - a predicate
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_S:g} s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
def test_streaming_device_streams_in_order_and_switches_its_lead_off(tmp_path):
    server = LiveServer(tmp_path, analysis=False, users={"ada": ("correct horse", "viewer")}).start()
    try:
        login = httpx.post(f"{server.url}/login", json={"name": "ada", "password": "correct horse"}, timeout=10)
        device_id, token = server.register_device("bed-1")
        api = httpx.Client(base_url=server.url, headers={"X-API-Key": server.api_key}, timeout=10)

        def chunks() -> list[dict]:
            return api.get(f"/api/v1/devices/{device_id}/samples").json()

        device = StreamingDevice(server.url, device_id, token, fs=250.0).start()
        try:
            wait_for(lambda: len(chunks()) >= 6, "six frames")
            device.lead_off = True
            wait_for(lambda: any(c["flags"] & FrameFlags.LEAD_OFF for c in chunks()), "a lead-off frame")
            device.lead_off = False
            wait_for(lambda: not chunks()[-1]["flags"] & FrameFlags.LEAD_OFF, "signal again")
        finally:
            device.stop()
        stored = chunks()
        api.close()
    finally:
        server.stop()
    assert login.status_code == 200
    seqs = [c["seq"] for c in stored]
    off = [c for c in stored if c["flags"] & FrameFlags.LEAD_OFF]
    assert seqs == list(range(len(stored)))
    assert all(c["flags"] & FrameFlags.CLOCK_SYNCED for c in stored)
    assert all(b["t_us"] - a["t_us"] == 200_000 for a, b in zip(stored, stored[1:]))
    assert off and all(value == [0] for c in off for value in c["samples"])
    assert device.errors == 0
