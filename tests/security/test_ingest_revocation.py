"""Issue 20 item 4: revoking or rotating a device token takes effect in every server process at once.

Two app instances share one database, as two ``cardiowatch serve`` processes do. A token used through one
of them, then revoked or rotated through the other, must be refused by the first on its next message.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from security_helpers import two_processes_on_one_database

from cardiowatch.protocol import Frame, SensorKind, frame_encode

API_KEY = "revocation-test-api-key-0123456789"
FRAMES = "/api/v1/ingest/frames"


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, tmp_path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two server apps on one database."""
    with two_processes_on_one_database(request.param, tmp_path, api_key=API_KEY) as apps:
        yield apps


def frame(device_id: int, seq: int) -> bytes:
    return frame_encode(Frame(device_id=device_id, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,
                              sensor=SensorKind.ECG, samples=np.zeros(50, dtype=int)))


def register(client: TestClient) -> tuple[int, str]:
    response = client.post("/api/v1/devices", json={"name": "patient"}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_device_revoked_through_one_process_is_refused_by_the_other(two_processes):
    one, two = two_processes
    device_id, token = register(one)
    before = two.post(FRAMES, content=frame(device_id, 0), headers=bearer(token))
    revoked = one.post(f"/api/v1/devices/{device_id}/revoke", headers={"X-API-Key": API_KEY})
    after = two.post(FRAMES, content=frame(device_id, 1), headers=bearer(token))
    assert (before.status_code, revoked.status_code, after.status_code) == (200, 200, 401)


def test_a_token_rotated_through_one_process_is_refused_by_the_other(two_processes):
    one, two = two_processes
    device_id, old = register(one)
    two.post(FRAMES, content=frame(device_id, 0), headers=bearer(old))
    new = one.post(f"/api/v1/devices/{device_id}/token", headers={"X-API-Key": API_KEY}).json()["token"]
    with_old = two.post(FRAMES, content=frame(device_id, 1), headers=bearer(old))
    with_new = two.post(FRAMES, content=frame(device_id, 2), headers=bearer(new))
    assert (with_old.status_code, with_new.status_code) == (401, 200)


def test_an_open_websocket_of_a_revoked_device_is_closed_on_its_next_message(two_processes):
    one, two = two_processes
    device_id, token = register(one)
    with two.websocket_connect("/ws/ingest", headers=bearer(token)) as ws:
        ws.send_bytes(frame(device_id, 0))
        first = ws.receive_json()
        one.post(f"/api/v1/devices/{device_id}/revoke", headers={"X-API-Key": API_KEY})
        ws.send_bytes(frame(device_id, 1))
        closed = ws.receive()
    assert first["stored"] == [0]
    assert (closed["type"], closed["code"]) == ("websocket.close", 1008)
