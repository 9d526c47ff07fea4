"""Every alert carries its evidence: onset, end and duration, rhythm, heart rate, signal quality, and a
link to its strip (REST and webhook body), on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from server_helpers import ecg_bytes, make_settings

from cardiowatch.app import create_app
from cardiowatch.pipeline import PipelineOutput
from cardiowatch.rhythm.tracker import RhythmChange

FS = 250
N = 250  # one frame a second, sent once a second of server time: data time and server time keep step
AF_FROM, AF_UNTIL = 15 * N + 40, 100 * N + 10  # samples where the rhythm changes to AFIB and back


class AfEpisodePipeline:
    """Stands in for the real pipeline: sinus rhythm, AF from sample AF_FROM to AF_UNTIL, 110 bpm."""

    def __init__(self):
        self.n = 0

    def process(self, x):
        start, self.n = self.n, self.n + len(x)
        changes = tuple(RhythmChange(sample=s, rhythm=r, detected_sample=s)
                        for s, r in ((0, "N"), (AF_FROM, "AFIB"), (AF_UNTIL, "N")) if start <= s < self.n)
        return PipelineOutput(rhythm_changes=changes, heart_rate_bpm=110.0)

    def flush(self):
        return None


def _ingest_af_episode(database, seconds=180):
    from test_alert_flow import _ingestor

    from cardiowatch.server.ingest import PayloadKind

    ingestor, device_id, token, engine = _ingestor(database, lambda fs, m: AfEpisodePipeline())
    transitions = []
    for seq in range(seconds):
        answer = ingestor.ingest(ecg_bytes(device_id, [seq], n=N), kind=PayloadKind.FRAMES, token=token,
                                 transport="test", now=1000.0 + seq)
        transitions += answer.transitions
    engine.dispose()
    return ingestor, device_id, transitions


def test_an_af_alert_carries_onset_end_rhythm_rate_quality_and_its_strip(database):
    ingestor, device_id, transitions = _ingest_af_episode(database)
    af = [t for t in transitions if t.alert.kind.value == "atrial_fibrillation"]
    assert [t.action.value for t in af] == ["raised", "resolved"]
    alert_id = af[0].alert.alert_id
    with TestClient(create_app(make_settings(database), pipeline_factory=None)) as client:
        samples = client.get(f"/api/v1/devices/{device_id}/samples", params={"limit": 2000}).json()
        first_t_us = samples[0]["t_us"]
        onset_us = first_t_us + AF_FROM * 1_000_000 // FS
        end_us = first_t_us + AF_UNTIL * 1_000_000 // FS
        alert = client.get(f"/api/v1/alerts/{alert_id}").json()
        assert (alert["onset_t_us"], alert["end_t_us"]) == (onset_us, end_us)
        assert alert["duration_s"] == (AF_UNTIL - AF_FROM) / FS
        assert (alert["rhythm"], alert["hr_bpm"], alert["quality"]) == ("AFIB", 110.0, "good")
        assert alert["strip_url"] == f"/api/v1/alerts/{alert_id}/strip"

        strip = client.get(alert["strip_url"]).json()
        assert strip["alert"]["id"] == alert_id
        assert strip["fs"] == FS and strip["units"] == "mV" and strip["channels"] == ["ECG"]
        assert strip["start_t_us"] == onset_us - 10_000_000 and len(strip["samples"][0]) == 20 * FS
        assert None not in strip["samples"][0]
        assert {"t_us": onset_us, "kind": "rhythm", "text": "AFIB", "end_t_us": end_us} in strip["annotations"]
        assert {"t_us": onset_us, "kind": "alert", "text": "atrial_fibrillation",
                "end_t_us": end_us} in strip["annotations"]
        short = client.get(alert["strip_url"], params={"before_s": 2, "after_s": 3}).json()
        assert len(short["samples"][0]) == 5 * FS
        assert client.get(alert["strip_url"], params={"before_s": 0}).status_code == 422
        assert client.get("/api/v1/alerts/999/strip").status_code == 404


def test_the_webhook_body_carries_the_same_evidence_and_link(sqlite_database):
    ingestor, _, transitions = _ingest_af_episode(sqlite_database)
    raised, resolved = [t for t in transitions if t.alert.kind.value == "atrial_fibrillation"]
    at_raise = ingestor.alerts.webhook_body(raised)["evidence"]
    assert at_raise["rhythm"] == "AFIB" and at_raise["hr_bpm"] == 110.0 and at_raise["quality"] == "good"
    assert at_raise["strip_url"] == f"/api/v1/alerts/{raised.alert.alert_id}/strip"
    at_end = ingestor.alerts.webhook_body(resolved)["evidence"]
    assert at_end["duration_s"] == (AF_UNTIL - AF_FROM) / FS
    assert at_end["onset_t_us"] == at_raise["onset_t_us"]


def test_the_episode_end_is_known_as_soon_as_the_rhythm_changes_back(sqlite_database):
    ingestor, device_id, transitions = _ingest_af_episode(sqlite_database, seconds=AF_UNTIL // N + 5)
    (raised,) = [t for t in transitions if t.alert.kind.value == "atrial_fibrillation"]
    evidence = ingestor.alerts.webhook_body(raised)["evidence"]
    assert raised.alert.is_open  # the alert waits for its clear-after time, the episode is over
    assert evidence["duration_s"] == (AF_UNTIL - AF_FROM) / FS
