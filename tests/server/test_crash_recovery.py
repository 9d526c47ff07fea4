"""Kill -9 a real uvicorn server mid-stream, restart it, let the device resend: no gap, no duplicate."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from server_helpers import ecg_frame

from cardiowatch.protocol import frame_encode
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_engine, make_session_factory

N_FRAMES = 600
BATCH = 5
KILL_AFTER_ACKED = 150
STARTUP_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(database_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "CARDIOWATCH_DATABASE_URL": database_url, "CARDIOWATCH_RETENTION_DAYS": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "cardiowatch.server.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1.0).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} during start-up")
        time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not start")


class Device(threading.Thread):
    """Sends frames in batches, keeps every unacknowledged frame and resends it until it is acknowledged."""

    def __init__(self, url: str, device_id: int, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.device_id, self.token = url, device_id, token
        self.frames = {seq: frame_encode(ecg_frame(device_id, seq)) for seq in range(N_FRAMES)}
        self.unacked: list[int] = []
        self.next_seq = 0
        self.acked: set[int] = set()
        self.send_failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}) as client:
            while len(self.acked) < N_FRAMES:
                while len(self.unacked) < BATCH and self.next_seq < N_FRAMES:
                    self.unacked.append(self.next_seq)
                    self.next_seq += 1
                batch = self.unacked[:BATCH]
                try:
                    response = client.post("/api/v1/ingest/frames", content=b"".join(self.frames[s] for s in batch),
                                           timeout=5.0)
                except httpx.TransportError:
                    self.send_failures += 1
                    time.sleep(0.05)  # the server is down: keep the frames, try again
                    continue
                body = response.json()
                done = set(body["stored"]) | set(body["duplicate"])
                self.acked |= done
                self.unacked = [s for s in self.unacked if s not in done]


@pytest.mark.slow
def test_server_killed_mid_stream_keeps_every_frame_exactly_once(sqlite_database):
    url, _schema = sqlite_database
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(url, port)
    try:
        token = httpx.post(f"{base}/api/v1/devices", json={"name": "crash-1"}).json()
        device = Device(base, token["id"], token["token"])
        device.start()
        deadline = time.monotonic() + 60
        while len(device.acked) < KILL_AFTER_ACKED and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        acked_before_kill = len(device.acked)
        server = _start_server(url, port)
        device.join(timeout=120)
        assert not device.is_alive(), f"device stuck with {len(device.acked)} of {N_FRAMES} acknowledged"
    finally:
        server.kill()
        server.wait()
    assert KILL_AFTER_ACKED <= acked_before_kill < N_FRAMES  # the kill happened mid-stream
    assert device.send_failures > 0  # and the device saw it
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        chunks = crud.list_chunks(session=session, device_id=device.device_id)
        assert [c.seq for c in sorted(chunks, key=lambda c: c.seq)] == list(range(N_FRAMES))
        assert all(bytes(c.frame) == device.frames[c.seq] for c in chunks)
    engine.dispose()
