"""Pipeline findings reach the alert engine, are stored with their history, and are acted on via the API."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from server_helpers import ecg_bytes, make_settings, register

from cardiowatch.pipeline import PipelineOutput
from cardiowatch.protocol import Status, status_encode
from cardiowatch.rhythm.tracker import RhythmChange, RhythmEvent
from cardiowatch.app import create_app
from cardiowatch.server.alerts import AlertKind
from cardiowatch.signal.quality_segment import QualityFlag, QualitySegment


class AsystolePipeline:
    """Stands in for the real pipeline: reports asystole at the first sample of every chunk."""

    def __init__(self):
        self.n = 0

    def process(self, x):
        start, self.n = self.n, self.n + len(x)
        return PipelineOutput(events=(RhythmEvent(kind="ASYSTOLE", sample=start, end_sample=start,
                                                  detected_sample=start),))

    def flush(self):
        return None


# The stand-in pipelines answer each call: every frame is analysed as it comes (analysis_chunk_s=0), so a
# test posts one frame and sees its alert; test_analysis_chunk.py covers frames held for a chunk.
@pytest.fixture
def alert_client(database):
    app = create_app(make_settings(database, analysis_chunk_s=0.0),
                     pipeline_factory=lambda fs, modality: AsystolePipeline())
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
    with TestClient(create_app(make_settings(database, analysis_chunk_s=0.0), pipeline_factory=factory)) as client:
        device = register(client, "patient-1")
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
        alert_id = client.get("/api/v1/alerts").json()[0]["id"]
    with TestClient(create_app(make_settings(database, analysis_chunk_s=0.0), pipeline_factory=factory)) as client:
        response = client.post(f"/api/v1/alerts/{alert_id}/ack", json={"user": "nurse-c"})
        assert response.status_code == 200
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [1]), headers=device.auth)
        assert len(client.get("/api/v1/alerts").json()) == 1  # the open alert continues, no second one


class AfPipeline:
    """Stands in for the real pipeline: atrial fibrillation from the first beat of the stream."""

    def process(self, x):
        return PipelineOutput(rhythm_changes=(RhythmChange(sample=0, rhythm="AFIB", detected_sample=0),),
                              heart_rate_bpm=110.0)

    def flush(self):
        return None


def test_an_alert_delay_under_way_survives_a_restart(database):
    """AF for 20 s, the server restarts (killed: nothing stored at shutdown), AF goes on: the alert is raised
    30 s after AF began, not 30 s after the restart (a cluster device moving to another worker is the same)."""
    now = [1_800_000_000.0]
    factory = lambda fs, modality: AfPipeline()  # noqa: E731
    settings = make_settings(database, alert_tick_s=0.05, analysis_chunk_s=0.0)
    with TestClient(create_app(settings, pipeline_factory=factory, clock=lambda: now[0])) as client:
        device = register(client, "patient-1")
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [0]), headers=device.auth)
        now[0] += 20.0
        time.sleep(0.5)  # ticks (the engine's snapshot of a condition under way is stored at a tick)
    with TestClient(create_app(settings, pipeline_factory=factory, clock=lambda: now[0])) as client:
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [1]), headers=device.auth)
        now[0] += 11.0
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, [2]), headers=device.auth)
        kinds = [a["kind"] for a in client.get("/api/v1/alerts").json()]
    assert kinds == ["atrial_fibrillation"]


def test_a_reported_lead_off_survives_a_restart(database):
    """A lead-off the device reported (no frame says it again) is in the snapshot stored with its batch."""
    now = [1_800_000_000.0]
    settings = make_settings(database, analysis_chunk_s=0.0)
    with TestClient(create_app(settings, pipeline_factory=None, clock=lambda: now[0])) as client:
        device = register(client, "patient-1")
        client.post("/api/v1/ingest/status", content=status_encode(Status(device_id=device.id, lead_off=True)),
                    headers=device.auth)
    with TestClient(create_app(settings, pipeline_factory=None, clock=lambda: now[0])) as client:
        engine = client.app.state.runtime.ingestor.alerts.engine
        assert engine.devices_[str(device.id)].conditions[AlertKind.LEAD_OFF].sources == {"status": True}


def test_every_quality_flag_and_alerting_event_is_mapped():
    from cardiowatch.rhythm.tracker import EVENTS
    from cardiowatch.server.analysis import EVENT_ALERTS, QUALITY_ALERTS

    assert set(QUALITY_ALERTS) == set(QualityFlag)
    assert set(EVENT_ALERTS) <= set(EVENTS)


class BrokenPipeline:
    def process(self, x):
        raise RuntimeError("analysis bug")

    def flush(self):
        raise RuntimeError("analysis bug, again")


def test_a_failing_pipeline_never_costs_the_acknowledgement(database):
    app = create_app(make_settings(database, analysis_chunk_s=0.0),
                     pipeline_factory=lambda fs, modality: BrokenPipeline())
    with TestClient(app) as client:
        device = register(client, "patient-1")
        for seqs in ([0, 1], [2]):
            response = client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, seqs), headers=device.auth)
            assert response.status_code == 200 and response.json()["stored"] == seqs
        assert client.get("/api/v1/stats").json()["analysis_errors"] >= 2


def _ingestor(database, pipeline_factory):
    from cardiowatch.server.alert_service import AlertService
    from cardiowatch.server.alerts import AlertEngine
    from cardiowatch.server.devices import register_device
    from cardiowatch.server.ingest import Ingestor
    from cardiowatch.server.pipelines import PipelineRegistry
    from cardiowatch.server.storage.db import make_engine, make_session_factory, migrate

    url, schema = database
    engine = make_engine(url, schema=schema)
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        device, token = register_device(session=session, name="q", now=0.0)
        session.commit()
    ingestor = Ingestor(session_factory=sessions, alerts=AlertService(AlertEngine()), max_bytes=65536,
                        max_frames=64, summary_period_s=15.0,
                        registry=PipelineRegistry(pipeline_factory, live_max_sample_rate_hz=125.0))
    return ingestor, device.id, token, engine


class NoisyThenCleanPipeline:
    """ECG quality reports bad stretches only: noisy for the first 40 chunks, then nothing."""

    def __init__(self):
        self.chunks = 0

    def process(self, x):
        self.chunks += 1
        quality = (QualitySegment(start=0, end=len(x), flag=QualityFlag.NOISY),) if self.chunks <= 40 else ()
        return PipelineOutput(quality=quality)

    def flush(self):
        return None


def test_sustained_noisy_ecg_raises_poor_signal_and_clean_signal_resolves_it(sqlite_database):
    from cardiowatch.server.ingest import PayloadKind

    ingestor, device_id, token, engine = _ingestor(sqlite_database, lambda fs, m: NoisyThenCleanPipeline())
    kinds = []
    for seq in range(80):  # one frame a second of server time
        answer = ingestor.ingest(ecg_bytes(device_id, [seq]), kind=PayloadKind.FRAMES, token=token,
                                 transport="test", now=1000.0 + seq)
        kinds += [(t.action.value, t.alert.kind.value, seq) for t in answer.transitions]
    engine.dispose()
    assert [(action, kind) for action, kind, _ in kinds] == [("raised", "poor_signal"), ("resolved", "poor_signal")]
    raised_at, resolved_at = kinds[0][2], kinds[1][2]
    assert 30 <= raised_at <= 31 and 40 < resolved_at <= 52
