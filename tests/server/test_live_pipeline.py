"""The server runs the project's streaming pipeline: live results equal offline results on a record."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from server_helpers import make_settings, register

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.app import create_app
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.db import make_session_factory

SECONDS = 90
FRAME_SAMPLES = 25
T0_US = 1_764_000_000_000_000


def _frames(device_id: int, counts: np.ndarray, fs: float, sensor: SensorKind, scale_nv: int) -> list[bytes]:
    fs_millihz = int(round(fs * 1000))
    out = []
    for seq, start in enumerate(range(0, len(counts), FRAME_SAMPLES)):
        chunk = counts[start: start + FRAME_SAMPLES]
        out.append(frame_encode(Frame(device_id=device_id, seq=seq, t_us=T0_US + start * 10**9 // fs_millihz,
                                      fs_millihz=fs_millihz, sensor=sensor, samples=chunk,
                                      flags=FrameFlags.CLOCK_SYNCED, scale_nv=scale_nv)))
    return out


CASES = {
    # name: (database fixture, record, channel, sensor kind, scale_nv, counts per physical unit)
    "ppg-bidmc01": ("bidmc", "bidmc01", "PLETH", SensorKind.PPG_ANALOG, 0, 4095.0),
    "ecg-mitdb100": ("mitdb", "100", "MLII", SensorKind.ECG, 8000, 1e6 / 8000),
}


@pytest.mark.data
@pytest.mark.parametrize("case", list(CASES))
def test_live_beats_equal_offline_pipeline(case, request, sqlite_database):
    from cardiowatch.data import read_record
    from cardiowatch.errors import ModelError
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    db_fixture, name, channel, sensor, scale_nv, per_unit = CASES[case]
    record = read_record(request.getfixturevalue(db_fixture), name)
    counts = np.round(record.signals[channel][: int(SECONDS * record.fs)] * per_unit).astype(np.int64)
    # exactly what the server feeds its pipeline: counts, times the declared scale in mV when there is one
    signal = counts.astype(np.float64) * (scale_nv * 1e-6) if scale_nv else counts.astype(np.float64)
    try:
        offline = Pipeline(PipelineConfig(fs=record.fs, sensor=sensor.modality))
        outputs = [offline.process(signal), offline.flush()]
    except ModelError as exc:
        pytest.skip(f"the pipeline's models are not trained in this checkout: {exc}")
    offline_beats = [(b.sample, b.label) for out in outputs for b in out.beats]
    assert len(offline_beats) > SECONDS  # the record has a pulse: about 1-2 per second

    app = create_app(make_settings(sqlite_database))
    with TestClient(app) as client:
        device = register(client, "dev-1")
        frames = _frames(device.id, counts, record.fs, sensor, scale_nv)
        with client.websocket_connect(f"/ws/live?device_id={device.id}&types=beats") as live:
            assert live.receive_json()["type"] == "hello"
            for i in range(0, len(frames), 40):
                response = client.post("/api/v1/ingest/frames", content=b"".join(frames[i: i + 40]),
                                       headers=device.auth)
                assert response.status_code == 200, response.text
            pushed = live.receive_json()
        with make_session_factory(app.state.engine)() as session:
            live_beats = [(round((b.t_us - T0_US) * record.fs / 1e6), b.label)
                          for b in crud.list_beats(session=session, device_id=device.id)]
    # the stream has not ended, so the server has not flushed: every beat it has is an offline beat, and
    # it misses at most the look-ahead of the detector at the end
    assert live_beats == offline_beats[: len(live_beats)]
    assert len(live_beats) >= len(offline_beats) - 3
    assert pushed["beats"][0]["t_us"] == T0_US + round(live_beats[0][0] * 1e6 / record.fs)


def test_decimated_live_waveform_keeps_every_kth_sample_across_frames():
    from cardiowatch.server.pipelines import PipelineRegistry

    registry = PipelineRegistry(None, live_max_sample_rate_hz=100.0)
    values = np.arange(70)
    got = []
    for seq, start in enumerate(range(0, 70, 7)):  # frames of 7 samples at 250 Hz: step 3
        frame = Frame(device_id=1, seq=seq, t_us=start * 4000, fs_millihz=250_000, sensor=SensorKind.ECG,
                      samples=values[start: start + 7])
        got += registry.feed(1, frame, t_us=frame.t_us, now=0.0).live_samples
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
    results = [registry.feed(1, frame(s), t_us=s * 200_000, now=s * 0.2) for s in (0, 1, 2, 5, 6, 3)]
    assert [r is not None and r.reset for r in results[:5]] == [False, False, False, True, False]
    assert results[5] is None  # a late resend behind the stream is stored, not analysed live
    assert len(made) == 2
