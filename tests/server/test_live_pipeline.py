"""The server runs the project's streaming pipeline: live results equal offline results on a record."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from server_helpers import make_settings, register

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.app import create_app
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_session_factory

SECONDS = 90
FRAME_SAMPLES = 25
T0_US = 1_764_000_000_000_000


def _frames(device_id: int, counts: np.ndarray, fs: float, sensor: SensorKind) -> list[bytes]:
    fs_millihz = int(round(fs * 1000))
    out = []
    for seq, start in enumerate(range(0, len(counts), FRAME_SAMPLES)):
        chunk = counts[start: start + FRAME_SAMPLES]
        out.append(frame_encode(Frame(device_id=device_id, seq=seq, t_us=T0_US + start * 10**9 // fs_millihz,
                                      fs_millihz=fs_millihz, sensor=sensor, samples=chunk,
                                      flags=FrameFlags.CLOCK_SYNCED)))
    return out


@pytest.mark.data
def test_live_ppg_beats_equal_offline_pipeline_on_bidmc(bidmc, sqlite_database):
    from cardiowatch.data import read_record
    from cardiowatch.errors import ModelError
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    record = read_record(bidmc, "bidmc01")
    counts = np.round(record.signals["PLETH"][: int(SECONDS * record.fs)] * 4095).astype(np.int64)
    try:
        offline = Pipeline(PipelineConfig(fs=record.fs, sensor="ppg"))
        outputs = [offline.process(counts.astype(np.float64)), offline.flush()]
    except ModelError as exc:
        pytest.skip(f"the pipeline's models are not trained in this checkout: {exc}")
    offline_beats = [b.sample for out in outputs for b in out.beats]
    assert len(offline_beats) > SECONDS  # the record has a pulse: about 1-2 per second

    app = create_app(make_settings(sqlite_database))
    with TestClient(app) as client:
        device = register(client, "ppg-1")
        frames = _frames(device.id, counts, record.fs, SensorKind.PPG_ANALOG)
        with client.websocket_connect(f"/ws/live?device_id={device.id}") as live:
            assert live.receive_json()["type"] == "hello"
            for i in range(0, len(frames), 40):
                response = client.post("/api/v1/ingest/frames", content=b"".join(frames[i: i + 40]),
                                       headers=device.auth)
                assert response.status_code == 200, response.text
            first = live.receive_json()
        with make_session_factory(app.state.engine)() as session:
            live_beats = [round((b.t_us - T0_US) * record.fs / 1e6)
                          for b in crud.list_beats(session=session, device_id=device.id)]
    # the stream has not ended, so the server has not flushed: every beat it has is an offline beat, and
    # it misses at most the look-ahead of the detector at the end
    assert live_beats == offline_beats[: len(live_beats)]
    assert len(live_beats) >= len(offline_beats) - 3
    assert first["type"] in {"samples", "beats", "hr", "rhythm", "event", "alert"}


def test_decimated_live_waveform_keeps_every_kth_sample_across_frames():
    from cardiowatch.server.pipelines import PipelineRegistry

    registry = PipelineRegistry(None, live_max_sample_rate_hz=100.0)
    values = np.arange(70)
    got = []
    for seq, start in enumerate(range(0, 70, 7)):  # frames of 7 samples at 250 Hz: step 3
        frame = Frame(device_id=1, seq=seq, t_us=start * 4000, fs_millihz=250_000, sensor=SensorKind.ECG,
                      samples=values[start: start + 7])
        got += registry.feed(1, frame, t_us=frame.t_us).live_samples
    assert got == [float(v) for v in values[::3]]


def test_sequence_gap_resets_the_device_stream():
    from cardiowatch.server.pipelines import PipelineRegistry

    made = []

    class Recorder:
        def process(self, x):
            return None

        def flush(self):
            return None

    def factory(fs, modality):
        made.append((fs, modality))
        return Recorder()

    registry = PipelineRegistry(factory, live_max_sample_rate_hz=1000.0)
    frame = lambda seq: Frame(device_id=1, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,  # noqa: E731
                              sensor=SensorKind.ECG, samples=np.zeros(50, dtype=int))
    results = [registry.feed(1, frame(s), t_us=s * 200_000) for s in (0, 1, 2, 5, 6, 3)]
    assert [r is not None and r.reset for r in results[:5]] == [False, False, False, True, False]
    assert results[5] is None  # a late resend behind the stream is stored, not analysed live
    assert len(made) == 2
