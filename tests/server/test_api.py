"""REST API surface: API key, settings safety, OpenAPI, device management."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from server_helpers import ecg_bytes, make_settings
from starlette.websockets import WebSocketDisconnect

from cardiowatch.app import create_app
from cardiowatch.server.config import Settings

KEY = "k" * 24


@pytest.fixture
def keyed_client(sqlite_database):
    with TestClient(create_app(make_settings(sqlite_database, api_key=KEY), pipeline_factory=None)) as client:
        yield client


def test_management_routes_need_the_api_key(keyed_client):
    assert keyed_client.post("/api/v1/devices", json={"name": "a"}).status_code == 401
    assert keyed_client.get("/api/v1/devices", headers={"X-API-Key": "wrong"}).status_code == 401
    response = keyed_client.post("/api/v1/devices", json={"name": "a"}, headers={"X-API-Key": KEY})
    assert response.status_code == 201


def test_device_ingest_uses_the_device_token_not_the_api_key(keyed_client):
    device = keyed_client.post("/api/v1/devices", json={"name": "a"}, headers={"X-API-Key": KEY}).json()
    response = keyed_client.post("/api/v1/ingest/frames", content=ecg_bytes(device["id"], [0]),
                                 headers={"Authorization": f"Bearer {device['token']}"})
    assert response.json()["stored"] == [0]


def test_live_feed_needs_the_api_key(keyed_client):
    with pytest.raises(WebSocketDisconnect) as closed:
        with keyed_client.websocket_connect("/ws/live") as ws:
            ws.receive_json()
    assert closed.value.code == 1008
    with keyed_client.websocket_connect(f"/ws/live?api_key={KEY}") as ws:
        assert ws.receive_json()["type"] == "hello"


def test_production_refuses_to_start_without_a_strong_api_key():
    with pytest.raises(ValidationError, match="CARDIOWATCH_API_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", api_key=KEY).api_key.get_secret_value() == KEY


def test_settings_come_from_the_environment_only_when_the_app_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDIOWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("CARDIOWATCH_MAX_BATCH_FRAMES", "3")
    app = create_app(pipeline_factory=None)
    assert app.state.settings.max_batch_frames == 3
    assert app.state.settings.database_url.endswith("env.db")


def test_openapi_lists_every_resource(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/devices", "/api/v1/devices/{device_id}/beats", "/api/v1/devices/{device_id}/samples",
                 "/api/v1/alerts/{alert_id}/ack", "/api/v1/ingest/frames", "/api/v1/stats"):
        assert path in paths


def test_duplicate_device_name_is_a_conflict(client):
    assert client.post("/api/v1/devices", json={"name": "x"}).status_code == 201
    assert client.post("/api/v1/devices", json={"name": "x"}).status_code == 409


def test_too_many_frames_in_one_batch_is_refused(client, device):
    limit = client.app.state.settings.max_batch_frames
    response = client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, range(limit + 1), n=4),
                           headers=device.auth)
    assert response.status_code == 413


def test_unknown_device_is_404(client):
    assert client.get("/api/v1/devices/77").status_code == 404
    assert client.get("/api/v1/devices/77/beats").status_code == 404


def test_device_link_state_follows_its_data(client, device):
    assert client.get(f"/api/v1/devices/{device.id}").json()["link"] == "never_seen"
    client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
    assert client.get(f"/api/v1/devices/{device.id}").json()["link"] == "streaming"
    client.post(f"/api/v1/devices/{device.id}/revoke")
    assert client.get(f"/api/v1/devices/{device.id}").json()["link"] == "revoked"
