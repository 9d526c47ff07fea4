"""The server's outputs besides the live feed: the alert webhook and the ThingSpeak summary bridge."""

from __future__ import annotations

import http.server
import json
import threading
import time

from fakes.thingspeak import FakeThingSpeak, serve
from fastapi.testclient import TestClient
from server_helpers import ecg_bytes, make_settings, register

from cardiowatch.pipeline import PipelineOutput
from cardiowatch.protocol import Status, status_encode
from cardiowatch.rhythm.tracker import RhythmEvent
from cardiowatch.app import create_app

WAIT_S = 15.0


class AsystolePipeline:
    def process(self, x):
        return PipelineOutput(heart_rate_bpm=42.0,
                              events=(RhythmEvent(kind="ASYSTOLE", sample=0, end_sample=0, detected_sample=0),))

    def flush(self):
        return None


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[dict] = []
    arrived = threading.Event()

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        type(self).arrived.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002
        pass


def test_alert_transitions_are_posted_to_the_webhook(sqlite_database):
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook/secret-token"
    try:
        app = create_app(make_settings(sqlite_database, webhook_url=url, analysis_chunk_s=0.0),
                         pipeline_factory=lambda fs, modality: AsystolePipeline())
        with TestClient(app) as client:
            device = register(client, "hooked")
            client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
            assert _Receiver.arrived.wait(WAIT_S), "no webhook call"
    finally:
        receiver.shutdown()
    body = _Receiver.bodies[0]
    assert (body["event"], body["alert"]["kind"], body["alert"]["device_id"]) == ("alert.raised", "asystole",
                                                                                  str(device.id))


def test_summaries_are_mirrored_to_thingspeak(sqlite_database, monkeypatch):
    fake = FakeThingSpeak({4242: "WRITEKEY"})
    with serve(fake) as base_url:
        monkeypatch.setenv("CARDIOWATCH_THINGSPEAK_CHANNELS", "ts-dev=4242:WRITEKEY")
        monkeypatch.setenv("CARDIOWATCH_THINGSPEAK_URL", base_url)
        app = create_app(make_settings(sqlite_database, analysis_chunk_s=0.0),
                         pipeline_factory=lambda fs, modality: AsystolePipeline())
        with TestClient(app) as client:
            device = register(client, "ts-dev")
            client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=device.id, battery_pct=64)),
                        headers=device.auth)
            client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
            deadline = time.monotonic() + WAIT_S
            while not fake.entries(4242) and time.monotonic() < deadline:
                time.sleep(0.05)
    entries = fake.entries(4242)
    assert len(entries) == 1
    assert (entries[0]["field1"], entries[0]["field3"], entries[0]["field5"]) == ("42.0", "3", "64")
