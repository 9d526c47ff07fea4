"""The dashboard's rhythm report shows the episodes the server stored, not a second analysis of the beats."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from server_helpers import ecg_bytes, make_settings, register

from cardiowatch.dashboard.users import Role
from cardiowatch.pipeline import Beat, PipelineOutput
from cardiowatch.rhythm.tracker import RhythmChange
from cardiowatch.app import create_app


class RegularBeatsCalledAf:
    """Stands in for the pipeline: a beat every 50 samples (regular, so a fresh analysis would find sinus
    rhythm) and one change to AFIB at the first beat: what the report says shows where it came from."""

    def __init__(self) -> None:
        self.n = 0

    def process(self, x: np.ndarray) -> PipelineOutput:
        start, self.n = self.n, self.n + len(x)
        change = (RhythmChange(sample=0, rhythm="AFIB", detected_sample=0),) if start == 0 else ()
        return PipelineOutput(beats=(Beat(start, "N"),), rhythm_changes=change)

    def flush(self) -> PipelineOutput:
        return PipelineOutput()


def test_report_lists_the_stored_episodes(sqlite_database):
    app = create_app(make_settings(sqlite_database), pipeline_factory=lambda fs, modality: RegularBeatsCalledAf())
    with TestClient(app) as client:
        device = register(client, "bed-1")
        client.post("/api/v1/ingest/frames", content=ecg_bytes(device.id, range(40)), headers=device.auth)
        client.app.state.dashboard_get_auth().store.add_user("ada", "correct horse", Role.VIEWER)
        client.post("/login", json={"name": "ada", "password": "correct horse"})
        beats = client.get(f"/api/v1/devices/{device.id}/beats").json()
        start_s, end_s = beats[0]["t_us"] / 1e6, beats[-1]["t_us"] / 1e6 + 1
        response = client.get(f"/report/{device.id}", params={"start": start_s, "end": end_s})
    assert response.status_code == 200, response.text
    assert "<td>AFIB: atrial fibrillation or flutter</td><td>0.0</td>" in response.text
