"""HTTP ingest: frames stored once, acknowledged after commit; every refusal counted and storing nothing."""

from __future__ import annotations

import json

from server_helpers import ecg_bytes, ecg_frame, register, row_counts, stored_seqs

from cardiowatch.protocol import Status, frame_encode, status_encode

FRAMES = "/api/v1/ingest/frames"
STATUS = "/api/v1/ingest/status"


def test_batch_is_stored_and_acknowledged_by_seq(client, device):
    response = client.post(FRAMES, content=ecg_bytes(device.id, range(5)), headers=device.auth)
    assert response.status_code == 200
    assert response.json() == {"stored": [0, 1, 2, 3, 4], "duplicate": [], "rejected": []}
    assert stored_seqs(client.app, device.id) == [0, 1, 2, 3, 4]


def test_resent_frames_are_acknowledged_as_duplicates_and_not_stored_twice(client, device):
    client.post(FRAMES, content=ecg_bytes(device.id, range(4)), headers=device.auth)
    before = row_counts(client.app)
    response = client.post(FRAMES, content=ecg_bytes(device.id, [2, 3, 4]), headers=device.auth)
    assert response.json() == {"stored": [4], "duplicate": [2, 3], "rejected": []}
    assert stored_seqs(client.app, device.id) == [0, 1, 2, 3, 4]
    assert row_counts(client.app)["sample_chunks"] == before["sample_chunks"] + 1


def test_same_seq_with_other_bytes_is_refused_as_replayed(client, device):
    client.post(FRAMES, content=ecg_bytes(device.id, [7]), headers=device.auth)
    original = client.get(f"/api/v1/devices/{device.id}/samples").json()
    response = client.post(FRAMES, content=ecg_bytes(device.id, [7], value=100), headers=device.auth)
    assert response.status_code == 409
    assert response.json()["rejected"][0]["error"] == "Replayed"
    assert client.get(f"/api/v1/devices/{device.id}/samples").json() == original


def test_unknown_token_is_refused_and_stores_nothing(client, device):
    before = row_counts(client.app)
    response = client.post(FRAMES, content=ecg_bytes(device.id, [0]), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert row_counts(client.app) == before
    assert client.get("/api/v1/stats").json()["rejected"] == {"Unauthorized": 1}


def test_missing_token_is_refused(client, device):
    assert client.post(FRAMES, content=ecg_bytes(device.id, [0])).status_code == 401
    assert stored_seqs(client.app, device.id) == []


def test_frame_of_another_device_is_refused(client, device):
    other = register(client, "other")
    response = client.post(FRAMES, content=ecg_bytes(other.id, [0]), headers=device.auth)
    assert response.status_code == 400
    assert response.json()["rejected"][0]["error"] == "WrongDevice"
    assert stored_seqs(client.app, other.id) == [] and stored_seqs(client.app, device.id) == []


def test_corrupt_frame_in_a_batch_is_rejected_and_the_others_stored(client, device):
    frames = [frame_encode(ecg_frame(device.id, s)) for s in range(3)]
    bad = bytearray(frames[1])
    bad[40] ^= 0xFF
    response = client.post(FRAMES, content=frames[0] + bytes(bad) + frames[2], headers=device.auth)
    assert response.status_code == 400
    body = response.json()
    assert body["stored"] == [0, 2]
    assert [(r["index"], r["seq"], r["error"]) for r in body["rejected"]] == [(1, 1, "CrcMismatch")]
    assert stored_seqs(client.app, device.id) == [0, 2]
    assert client.get("/api/v1/stats").json()["rejected"] == {"CrcMismatch": 1}


def test_garbage_after_frames_is_reported_with_its_offset(client, device):
    good = ecg_bytes(device.id, [0])
    response = client.post(FRAMES, content=good + b"hello world, not a frame!!" * 2, headers=device.auth)
    body = response.json()
    assert body["stored"] == [0]
    assert body["rejected"][0]["error"] == "BadMagic"
    assert f"at byte {len(good)}" in body["rejected"][0]["detail"]


def test_empty_body_is_rejected(client, device):
    response = client.post(FRAMES, content=b"", headers=device.auth)
    assert response.status_code == 400
    assert response.json()["rejected"][0]["error"] == "TruncatedFrame"


def test_oversized_body_is_refused_before_reading_frames(client, device):
    limit = client.app.state.settings.max_ingest_bytes
    before = row_counts(client.app)
    response = client.post(FRAMES, content=ecg_bytes(device.id, range(limit // 100)), headers=device.auth)
    assert response.status_code == 413
    assert row_counts(client.app) == before


def test_sampling_rate_outside_the_supported_range_is_rejected(client, device):
    response = client.post(FRAMES, content=ecg_bytes(device.id, [0], fs_millihz=5_000), headers=device.auth)
    assert response.json()["rejected"][0]["error"] == "BadField"
    assert stored_seqs(client.app, device.id) == []


def test_revoked_device_is_refused_and_rotation_issues_a_working_token(client, device):
    assert client.post(f"/api/v1/devices/{device.id}/revoke").status_code == 200
    assert client.post(FRAMES, content=ecg_bytes(device.id, [0]), headers=device.auth).status_code == 401
    new_token = client.post(f"/api/v1/devices/{device.id}/token").json()["token"]
    assert new_token != device.token
    assert client.post(FRAMES, content=ecg_bytes(device.id, [0]), headers=device.auth).status_code == 401
    response = client.post(FRAMES, content=ecg_bytes(device.id, [0]),
                           headers={"Authorization": f"Bearer {new_token}"})
    assert response.json()["stored"] == [0]


def test_status_is_stored_and_served(client, device):
    status = Status(device_id=device.id, battery_pct=77, rssi_dbm=-60, lead_off=False, fw="0.1.0")
    response = client.post(STATUS, content=status_encode(status), headers=device.auth)
    assert response.status_code == 200
    latest = client.get(f"/api/v1/devices/{device.id}/status").json()
    assert (latest["battery_pct"], latest["rssi_dbm"], latest["fw"]) == (77, -60, "0.1.0")


def test_bad_status_is_rejected_and_stores_nothing(client, device):
    before = row_counts(client.app)
    body = json.dumps({"v": 1, "device_id": device.id, "batery": 3}).encode()
    response = client.post(STATUS, content=body, headers=device.auth)
    assert response.status_code == 400
    assert response.json()["rejected"][0]["error"] == "BadStatus"
    assert row_counts(client.app) == before


def test_device_token_is_stored_hashed(client, device):
    from cardiowatch.server.storage.db import make_session_factory
    from cardiowatch.server.storage.models import Device

    with make_session_factory(client.app.state.engine)() as session:
        stored = session.get(Device, device.id).token_hash
    assert device.token not in stored and len(stored) == 64


def test_one_batch_of_messages_from_several_devices_gets_one_answer_each(client, device):
    from cardiowatch.server.ingest import IngestItem, PayloadKind, Unauthorized

    other = register(client, "other")
    ingestor = client.app.state.ingestor
    items = [IngestItem(ecg_bytes(device.id, [0, 1]), kind=PayloadKind.FRAMES, token=device.token, transport="t"),
             IngestItem(ecg_bytes(other.id, [0]), kind=PayloadKind.FRAMES, token="bad", transport="t"),
             IngestItem(ecg_bytes(other.id, [0]), kind=PayloadKind.FRAMES, token=other.token, transport="t"),
             IngestItem(ecg_bytes(device.id, [1, 2]), kind=PayloadKind.FRAMES, token=device.token, transport="t")]
    first, refused, third, fourth = ingestor.ingest_many(items, now=1.0)
    assert (first.stored, third.stored, fourth.stored, fourth.duplicate) == ([0, 1], [0], [2], [1])
    assert isinstance(refused, Unauthorized)
    assert stored_seqs(client.app, device.id) == [0, 1, 2] and stored_seqs(client.app, other.id) == [0]
