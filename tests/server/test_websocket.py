"""WebSocket ingest and the live feed."""

from __future__ import annotations

import pytest
from server_helpers import ecg_bytes, register, stored_seqs
from starlette.websockets import WebSocketDisconnect

from cardiowatch.protocol import Status, status_encode


def test_websocket_frames_are_stored_and_answered(client, device):
    with client.websocket_connect("/ws/ingest", headers=device.auth) as ws:
        ws.send_bytes(ecg_bytes(device.id, range(3)))
        assert ws.receive_json() == {"stored": [0, 1, 2], "duplicate": [], "rejected": []}
        ws.send_bytes(ecg_bytes(device.id, [2, 3]))
        assert ws.receive_json() == {"stored": [3], "duplicate": [2], "rejected": []}
        ws.send_text(status_encode(Status(device_id=device.id, rssi_dbm=-70)).decode())
        assert ws.receive_json()["rejected"] == []
    assert stored_seqs(client.app, device.id) == [0, 1, 2, 3]


def test_websocket_token_may_come_as_query_parameter(client, device):
    with client.websocket_connect(f"/ws/ingest?token={device.token}") as ws:
        ws.send_bytes(ecg_bytes(device.id, [0]))
        assert ws.receive_json()["stored"] == [0]


def test_websocket_with_wrong_token_is_closed_with_policy_violation(client, device):
    with client.websocket_connect("/ws/ingest", headers={"Authorization": "Bearer wrong"}) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008
    assert stored_seqs(client.app, device.id) == []


def test_websocket_malformed_frame_is_answered_then_closed_1007(client, device):
    with client.websocket_connect("/ws/ingest", headers=device.auth) as ws:
        ws.send_bytes(b"\x00" * 40)
        assert ws.receive_json()["rejected"][0]["error"] == "BadMagic"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1007
    assert stored_seqs(client.app, device.id) == []


def test_live_feed_for_one_device_carries_its_status_only(client, device):
    other = register(client, "other")
    with client.websocket_connect(f"/ws/live?device_id={device.id}") as live:
        assert live.receive_json()["type"] == "hello"
        client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=other.id, rssi_dbm=-1)),
                    headers=other.auth)
        client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=device.id, rssi_dbm=-42)),
                    headers=device.auth)
        message = live.receive_json()
    assert (message["type"], message["device_id"], message["rssi_dbm"]) == ("status", device.id, -42)


def test_live_feed_carries_decimated_samples(client, device):
    with client.websocket_connect("/ws/live") as live:
        live.receive_json()
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
        message = live.receive_json()
    # 250 Hz frame, 125 Hz live limit: every second sample, in mV (8000 nV/count)
    assert message["type"] == "samples" and message["fs"] == 125.0
    assert len(message["values"]) == 25
    assert message["values"][0] == pytest.approx(2048 * 8000e-6)


def test_live_feed_filtered_by_type_skips_other_messages(client, device):
    with client.websocket_connect("/ws/live?types=status") as live:
        live.receive_json()
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
        client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=device.id, rssi_dbm=-3)),
                    headers=device.auth)
        assert live.receive_json()["type"] == "status"
