"""Pipeline findings reach the alert engine, are stored with their history, and are acted on via the API."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from server_helpers import ecg_bytes, make_settings, register

from cardiowatch.protocol import Status, status_encode
from cardiowatch.server.app import create_app


class AsystolePipeline:
    """Stands in for the real pipeline: reports asystole at the first sample of every chunk."""

    def __init__(self):
        self.n = 0

    def process(self, x):
        start, self.n = self.n, self.n + len(x)
        return SimpleNamespace(beats=[], rhythm_changes=[], quality=[], heart_rate_bpm=None,
                               events=[SimpleNamespace(kind="ASYSTOLE", sample=start)])

    def flush(self):
        return None


@pytest.fixture
def alert_client(database):
    app = create_app(make_settings(database), pipeline_factory=lambda fs, modality: AsystolePipeline())
    with TestClient(app) as client:
        yield client


def test_asystole_event_raises_one_critical_alert(alert_client):
    device = register(alert_client, "patient-1")
    alert_client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, range(3)), headers=device.auth)
    alerts = alert_client.get("/api/v1/alerts", params={"device_id": device.id}).json()
    assert [(a["kind"], a["severity"], a["state"]) for a in alerts] == [("asystole", "critical", "active")]
    assert alert_client.get(f"/api/v1/devices/{device.id}").json()["alert_level"] == 3


def test_acknowledge_is_recorded_with_user_and_blocks_snooze(alert_client):
    device = register(alert_client, "patient-1")
    alert_client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
    alert_id = alert_client.get("/api/v1/alerts").json()[0]["id"]
    acked = alert_client.post(f"/api/v1/alerts/{alert_id}/ack", json={"user": "nurse-a"})
    assert acked.status_code == 200
    assert acked.json()["state"] == "acknowledged"
    assert [(a["action"], a["by"]) for a in acked.json()["actions"]] == [("raised", "system"),
                                                                         ("acknowledged", "nurse-a")]
    refused = alert_client.post(f"/api/v1/alerts/{alert_id}/snooze", json={"user": "nurse-a", "minutes": 5})
    assert refused.status_code == 409


def test_snooze_sets_an_expiry(alert_client):
    device = register(alert_client, "patient-1")
    alert_client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
    alert_id = alert_client.get("/api/v1/alerts").json()[0]["id"]
    body = alert_client.post(f"/api/v1/alerts/{alert_id}/snooze", json={"user": "nurse-b", "minutes": 10}).json()
    assert body["state"] == "snoozed"
    snooze = body["actions"][-1]
    assert snooze["by"] == "nurse-b" and snooze["snoozed_until"] == pytest.approx(snooze["at"] + 600.0)


def test_unknown_alert_is_404(alert_client):
    assert alert_client.post("/api/v1/alerts/999/ack", json={"user": "x"}).status_code == 404


def test_low_battery_status_reaches_the_engine(alert_client):
    device = register(alert_client, "patient-2")
    engine = alert_client.app.state.runtime.ingestor.alerts.engine
    alert_client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=device.id, battery_pct=5)),
                      headers=device.auth)
    condition = engine.devices_[str(device.id)].conditions
    assert any(c.sources.get("status") for c in condition.values())


def test_alert_engine_state_survives_a_restart(database):
    factory = lambda fs, modality: AsystolePipeline()  # noqa: E731
    with TestClient(create_app(make_settings(database), pipeline_factory=factory)) as client:
        device = register(client, "patient-1")
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
        alert_id = client.get("/api/v1/alerts").json()[0]["id"]
    with TestClient(create_app(make_settings(database), pipeline_factory=factory)) as client:
        response = client.post(f"/api/v1/alerts/{alert_id}/ack", json={"user": "nurse-c"})
        assert response.status_code == 200
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [1]), headers=device.auth)
        assert len(client.get("/api/v1/alerts").json()) == 1  # the open alert continues, no second one


def test_every_pipeline_quality_flag_and_alerting_event_is_mapped():
    from cardiowatch.rhythm.tracker import EVENTS
    from cardiowatch.server.ingest import EVENT_ALERTS, QUALITY_ALERTS
    from cardiowatch.signal.ppg_quality import PpgQuality
    from cardiowatch.signal.quality import FLAGS

    assert set(FLAGS) <= set(QUALITY_ALERTS)
    assert {q.value for q in PpgQuality} <= set(QUALITY_ALERTS)
    assert set(EVENT_ALERTS) <= set(EVENTS)


class BrokenPipeline:
    def process(self, x):
        raise RuntimeError("analysis bug")

    def flush(self):
        raise RuntimeError("analysis bug, again")


def test_a_failing_pipeline_never_costs_the_acknowledgement(database):
    app = create_app(make_settings(database), pipeline_factory=lambda fs, modality: BrokenPipeline())
    with TestClient(app) as client:
        device = register(client, "patient-1")
        for seqs in ([0, 1], [2]):
            response = client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, seqs), headers=device.auth)
            assert response.status_code == 200 and response.json()["stored"] == seqs
        assert client.get("/api/v1/stats").json()["analysis_errors"] >= 2
