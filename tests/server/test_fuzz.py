"""Fuzzing the HTTP API with hypothesis: no 500 for any input, and nothing stored from bad input."""

from __future__ import annotations

import string

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_helpers import ecg_bytes, make_settings, register, row_counts

from cardiowatch.app import create_app

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def fuzz_client(sqlite_database):
    with TestClient(create_app(make_settings(sqlite_database), pipeline_factory=None),
                    raise_server_exceptions=False) as client:
        device = register(client, "fuzz")
        yield client, device


@FUZZ
@given(body=st.binary(max_size=2048))
def test_arbitrary_bytes_never_500_and_store_only_what_is_acknowledged(fuzz_client, body):
    client, device = fuzz_client
    before = row_counts(client.app)["sample_chunks"]
    response = client.post("/api/v1/ingest/frames", content=body, headers=device.auth)
    assert response.status_code in {200, 400, 409}
    assert row_counts(client.app)["sample_chunks"] == before + len(response.json()["stored"])


@FUZZ
@given(data=st.data())
def test_corrupted_valid_frames_are_rejected_and_store_nothing(fuzz_client, data):
    client, device = fuzz_client
    raw = bytearray(ecg_bytes(device.id, [data.draw(st.integers(0, 10**6))]))
    positions = data.draw(st.sets(st.integers(0, len(raw) - 1), min_size=1, max_size=3))
    for position in positions:
        raw[position] ^= data.draw(st.integers(1, 255))
    before = row_counts(client.app)
    response = client.post("/api/v1/ingest/frames", content=bytes(raw), headers=device.auth)
    assert response.status_code == 400
    assert row_counts(client.app) == before


@FUZZ
@given(body=st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_arbitrary_status_bodies_never_500(fuzz_client, body):
    client, device = fuzz_client
    before = row_counts(client.app)["status_reports"]
    response = client.post("/api/v1/ingest/status", content=body, headers=device.auth)
    assert response.status_code in {200, 400}
    stored = response.status_code == 200
    assert row_counts(client.app)["status_reports"] == before + stored


_QUERY_VALUE = st.one_of(st.integers(-2**70, 2**70).map(str), st.text(max_size=12),
                         st.floats(allow_nan=True).map(str))


@FUZZ
@given(path=st.sampled_from(["/api/v1/devices/{id}/beats", "/api/v1/devices/{id}/episodes",
                             "/api/v1/devices/{id}/summaries", "/api/v1/devices/{id}/samples",
                             "/api/v1/devices/{id}/status", "/api/v1/alerts", "/api/v1/devices/{id}"]),
       device_id=st.one_of(st.integers(-5, 2**70), st.text(alphabet=string.ascii_letters + string.digits + "-._~", max_size=6)),
       params=st.dictionaries(st.sampled_from(["start_us", "end_us", "limit", "state", "device_id", "start_at"]),
                              _QUERY_VALUE, max_size=4))
def test_query_routes_never_500(fuzz_client, path, device_id, params):
    client, _device = fuzz_client
    response = client.get(path.replace("{id}", str(device_id)), params=params)
    assert response.status_code in {200, 404, 422}, response.text


@FUZZ
@given(body=st.one_of(st.none(), st.dictionaries(st.text(max_size=6), st.text(max_size=70) | st.integers())),
       alert_id=st.integers(-3, 2**70), action=st.sampled_from(["ack", "snooze"]))
def test_alert_actions_never_500(fuzz_client, body, alert_id, action):
    client, _device = fuzz_client
    response = client.post(f"/api/v1/alerts/{alert_id}/{action}", json=body)
    assert response.status_code in {404, 409, 422}, response.text
