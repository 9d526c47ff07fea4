"""The firmware core as a virtual ESP32 (firmware/core/tools/cw_virtual_esp32.c) streaming over the real
protocol: to a fake server that fails the first posts (the offline queue resends), and end to end to the
real cardiowatch server (HTTP ingest, storage) with a MIT-BIH record."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from .conftest import agreement

TOKEN = "k3Jx9Q2mTz7LwB1vHc5YdR8sNf4Ua6Ep"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stream(host_build: Path, port: int, device_id: int, samples: np.ndarray, fs: int, *, token: str = TOKEN,
            sensor: str = "ecg") -> dict:
    proc = subprocess.run([str(host_build / "cw_virtual_esp32"), "127.0.0.1", str(port), str(device_id), token,
                           sensor, str(fs)], input=np.asarray(samples, dtype="<i2").tobytes(),
                          capture_output=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return {"rc": proc.returncode, **json.loads(proc.stdout)}


class _FlakyIngest(BaseHTTPRequestHandler):
    """Answers like /api/v1/ingest/frames, after failing the first `fail_first` posts with 503."""

    received: dict[int, np.ndarray]
    posts: int
    fail_first: int

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        from cardiowatch.protocol import frame_decode, frame_split

        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        server.posts += 1
        if server.posts <= server.fail_first or self.headers["Authorization"] != f"Bearer {TOKEN}":
            self.send_response(503)
            self.end_headers()
            return
        stored = []
        for raw in frame_split(body):
            frame = frame_decode(raw)
            server.received[frame.seq] = frame.samples[:, 0].copy()
            stored.append(frame.seq)
        answer = json.dumps({"stored": stored, "duplicate": [], "rejected": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def test_virtual_esp32_resends_queued_frames_after_failed_posts(host_build: Path,
                                                               rng: np.random.Generator) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyIngest)
    server.received, server.posts, server.fail_first = {}, 0, 5
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        samples = rng.integers(-2000, 2000, 250 * 12).astype(np.int16)  # 12 s at 250 Hz: 60 frames
        summary = _stream(host_build, server.server_address[1], 7, samples, 250)
    finally:
        server.shutdown()
    assert summary["rc"] == 0 and summary["frames"] == 60 and summary["acked"] == 60
    assert summary["failed_posts"] == 5 and summary["dropped"] == 0
    assert sorted(server.received) == list(range(60))  # every seq once, none lost to the failures
    np.testing.assert_array_equal(np.concatenate([server.received[s] for s in range(60)]), samples)


@pytest.mark.data
def test_virtual_esp32_streams_a_mitdb_record_into_the_real_server(host_build: Path, mitdb: str,
                                                                   tmp_path: Path) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    from cardiowatch.app import create_app
    from cardiowatch.server.config import Settings
    from cardiowatch.server.storage import crud
    from cardiowatch.server.storage.db import make_session_factory

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cw.db'}", database_schema=None, summary_period_s=1.0,
                        alert_tick_s=3600.0, retention_days=0)
    app = create_app(settings, pipeline_factory=None)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/devices", method="POST",
                                         data=json.dumps({"name": "virtual-esp32"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            device = json.loads(response.read())
        counts, fs = agreement.mitdb_counts("100")
        summary = _stream(host_build, port, device["id"], counts[: int(60 * fs)], int(fs), token=device["token"])
        with make_session_factory(app.state.engine)() as session:
            stored = crud.list_seqs(session=session, device_id=device["id"])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    n_frames = int(60 * fs) // int(fs / 5)
    assert summary["rc"] == 0 and summary["acked"] == n_frames and summary["failed_posts"] == 0
    assert list(stored) == list(range(n_frames))
    assert 65 <= summary["events"] <= 80  # record 100 has 74 beats in its first minute; the device saw them
