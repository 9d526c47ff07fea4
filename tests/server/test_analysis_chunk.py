"""Issue 23: a device's frames analysed in chunks of ``analysis_chunk_s`` give exactly the beats, rhythm
changes, events and quality of per-frame analysis and of the offline pipeline, across a sequence gap, a
sampling-rate change and a flush; held samples of a quiet device, of a server shutting down and of a
cluster worker that stops are analysed all the same, nothing twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.pipelines import DeviceAnalysis, PipelineRegistry

RECORD = "203"  # DS1: AF throughout, ventricular runs (VT_ONSET events), noisy stretches
T0_US = 1_764_000_000_000_000
SCALE_NV = 8000
FRAME_S = 0.2


def _counts(mitdb: object, start_s: float, seconds: float, fs_out: int | None = None,
            record_name: str = RECORD) -> np.ndarray:
    from cardiowatch.data import read_record

    record = read_record(mitdb, record_name)
    x = record.signals["MLII"][int(start_s * record.fs): int((start_s + seconds) * record.fs)]
    if fs_out is not None:
        x = resample_poly(x, fs_out, int(record.fs))
    return np.round(x * 1e6 / SCALE_NV).astype(np.int64)


def _segment_frames(counts: np.ndarray, fs: int, *, first_seq: int, t0_us: int) -> list[Frame]:
    n = round(fs * FRAME_S)
    return [Frame(device_id=1, seq=first_seq + k, t_us=t0_us + start * 10**6 // fs, fs_millihz=fs * 1000,
                  sensor=SensorKind.ECG, samples=counts[start: start + n], flags=FrameFlags.CLOCK_SYNCED,
                  scale_nv=SCALE_NV)
            for k, start in enumerate(range(0, len(counts), n))]


def _plan(mitdb: object) -> tuple[list[tuple[str, Frame | None]], list[tuple[int, int, np.ndarray]]]:
    """The stream fed to the registry (``feed`` a frame, or ``flush``) and its segments (rate, t0, counts)."""
    # lengths that are not whole seconds, so each segment ends with samples held
    a = _counts(mitdb, 0, 40.4)
    b = _counts(mitdb, 43.4, 30.6)  # after a gap of 3 s: 15 frames never sent
    c = _counts(mitdb, 74, 30.2, fs_out=250)  # the device switches to 250 Hz, seq in order
    d = _counts(mitdb, 104.2, 25.4, fs_out=250)  # after the stream was flushed (the device went quiet)
    segments, steps, seq = [], [], 0
    for fs, counts, gap_frames, flush_before in ((360, a, 0, False), (360, b, 15, False), (250, c, 0, False),
                                                 (250, d, 0, True)):
        seq += gap_frames
        t0_us = T0_US + round(seq * FRAME_S * 1e6)
        if flush_before:
            steps.append(("flush", None))
        frames = _segment_frames(counts, fs, first_seq=seq, t0_us=t0_us)
        steps += [("feed", f) for f in frames]
        segments.append((fs, t0_us, counts))
        seq += len(frames)
    steps.append(("flush", None))
    return steps, segments


def _outputs(results: list[DeviceAnalysis | None]) -> dict[str, list]:
    done = [r for r in results if r is not None]
    return {"beats": [(b.t_us, b.label) for r in done for b in r.beats],
            "rhythm": [(c.t_us, c.rhythm) for r in done for c in r.rhythm_changes],
            "events": [(e.t_us, e.kind, e.detected_t_us) for r in done for e in r.events],
            "quality": [(q.t_us, q.flag) for r in done for q in r.quality]}


def _run(steps, factory, chunk_s: float) -> tuple[dict[str, list], list[DeviceAnalysis | None]]:
    registry = PipelineRegistry(factory, live_max_sample_rate_hz=125.0, analysis_chunk_s=chunk_s)
    results = []
    for kind, frame in steps:
        if kind == "flush":
            results.append(registry.flush(1))
        else:
            results.append(registry.feed(1, frame, t_us=frame.t_us, now=frame.t_us / 1e6 + FRAME_S))
    return _outputs(results), results


def _offline(segments) -> dict[str, list]:
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    out: dict[str, list] = {"beats": [], "rhythm": [], "events": [], "quality": []}
    for fs, t0_us, counts in segments:
        pipe = Pipeline(PipelineConfig(fs=float(fs), sensor="ecg"))
        t = lambda sample: t0_us + round(int(sample) * 1e6 / fs)  # noqa: E731 - the server's sample -> time
        for o in (pipe.process(counts * (SCALE_NV * 1e-6)), pipe.flush()):
            out["beats"] += [(t(b.sample), b.label) for b in o.beats]
            out["rhythm"] += [(t(c.sample), c.rhythm) for c in o.rhythm_changes]
            out["events"] += [(t(e.sample), e.kind, t(e.detected_sample)) for e in o.events]
            out["quality"] += [(t(q.start), q.flag) for q in o.quality]
    return out


@pytest.mark.data
@pytest.mark.slow
def test_one_second_chunks_give_what_every_frame_and_the_offline_pipeline_give(mitdb):
    from cardiowatch.server.pipelines import default_pipeline_factory

    steps, segments = _plan(mitdb)
    factory = default_pipeline_factory()
    per_frame, _ = _run(steps, factory, 0.0)
    chunked, results = _run(steps, factory, 1.0)
    assert chunked == per_frame
    assert chunked == _offline(segments)
    # the record excerpt exercises what the test is about: beats, a VT run, a rhythm change per segment
    assert len(chunked["beats"]) > 150 and {e[1] for e in chunked["events"]} >= {"VT_ONSET"}
    assert len(chunked["rhythm"]) >= 4
    # and most frames were held (4 in 5 at 200 ms), each still sending its live waveform
    fed = [r for (kind, _), r in zip(steps, results) if kind == "feed"]
    assert sum(r.held for r in fed) >= 0.7 * len(fed)
    assert all(r.live_samples for r in fed)


def test_held_samples_are_due_after_the_chunk_and_drained_once():
    calls = []

    class Recorder:
        def process(self, x):
            calls.append(len(x))

        def flush(self):
            calls.append("flush")

    registry = PipelineRegistry(lambda fs, modality: Recorder(), live_max_sample_rate_hz=125.0, analysis_chunk_s=1.0)
    frame = lambda seq: Frame(device_id=1, seq=seq, t_us=seq * 200_000, fs_millihz=250_000,  # noqa: E731
                              sensor=SensorKind.ECG, samples=np.zeros(50, dtype=int))
    for seq in range(7):  # 1.4 s: one chunk of 250 samples analysed, 100 held
        registry.feed(1, frame(seq), t_us=seq * 200_000, now=seq * 0.2)
    assert calls == [250]
    assert registry.due(now=1.0 + 0.9) == []  # the held frames arrived at 1.0 s
    assert registry.due(now=1.0 + 1.0) == [1]
    assert registry.drain(1) is not None and calls == [250, 100]
    assert registry.due(now=10.0, everything=True) == [] and registry.drain(1) is None
    registry.feed(1, frame(7), t_us=7 * 200_000, now=1.6)
    registry.feed(1, frame(9), t_us=9 * 200_000, now=1.8)  # a gap: what is held is analysed, then flushed
    assert calls == [250, 100, 50, "flush"]


def test_a_chunk_of_zero_analyses_every_frame():
    calls = []

    class Recorder:
        def process(self, x):
            calls.append(len(x))

        def flush(self):
            return None

    registry = PipelineRegistry(lambda fs, modality: Recorder(), live_max_sample_rate_hz=125.0)
    for seq in range(3):
        out = registry.feed(1, Frame(device_id=1, seq=seq, t_us=0, fs_millihz=250_000, sensor=SensorKind.ECG,
                                     samples=np.zeros(50, dtype=int)), t_us=seq * 200_000, now=seq * 0.2)
        assert not out.held
    assert calls == [50, 50, 50] and registry.due(now=100.0, everything=True) == []


def _encoded(device_id: int, counts: np.ndarray) -> list[bytes]:
    frames = _segment_frames(counts, 360, first_seq=0, t0_us=T0_US)
    return [frame_encode(Frame(device_id=device_id, seq=f.seq, t_us=f.t_us, fs_millihz=f.fs_millihz, sensor=f.sensor,
                               samples=f.samples, flags=f.flags, scale_nv=f.scale_nv)) for f in frames]


def _offline_beats(counts: np.ndarray, *, flush: bool) -> list[tuple[int, str]]:
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    pipe = Pipeline(PipelineConfig(fs=360.0, sensor="ecg"))
    outs = [pipe.process(counts * (SCALE_NV * 1e-6))] + ([pipe.flush()] if flush else [])
    return [(T0_US + round(b.sample * 1e6 / 360), b.label) for o in outs for b in o.beats]


def _worker(database: Path, chunk_s: float, warm_s: float | None = None):
    from cardiowatch.server.config import Settings
    from cardiowatch.server.worker import make_worker

    settings = Settings(database_url=f"sqlite:///{database}", analysis_chunk_s=chunk_s, summary_period_s=5.0)
    ingestor = make_worker(settings, url="amqp://unused/", partitions=1, clock=lambda: 0.0).ingestor
    if warm_s is not None:
        ingestor.warm_s = warm_s
    return ingestor


def _register(ingestor, name: str) -> int:
    from cardiowatch.server.devices import register_device

    with ingestor.session_factory() as session:
        device_id = register_device(session=session, name=name, now=0.0)[0].id
        session.commit()
    return device_id


def _send(ingestor, frames: list[bytes], seqs, device_id: int) -> None:
    from cardiowatch.server.ingest import IngestItem, PayloadKind

    for seq in seqs:
        now = T0_US / 1e6 + (seq + 1) * FRAME_S
        ingestor.ingest_many([IngestItem(frames[seq], kind=PayloadKind.FRAMES, token=None, transport="test",
                                         broker_device_id=device_id)], now=now)


@pytest.mark.data
@pytest.mark.slow
def test_a_takeover_warmed_on_the_last_seconds_does_not_split_the_rhythm_episode(mitdb, tmp_path):
    """Worker B warms its pipeline on the last 60 s only, after the sinus episode began: its fresh
    tracker states that rhythm within the replay (about 28 s in), which is no change; one worker alone
    stores one episode, and so do two."""
    from cardiowatch.server.storage import crud

    counts = _counts(mitdb, 0, 120, record_name="101")  # DS1, sinus throughout
    stored = []
    for workers in (1, 2):
        first = _worker(tmp_path / f"{workers}.db", 1.0)
        device_id = _register(first, "moving")
        frames = _encoded(device_id, counts)
        _send(first, frames, range(500), device_id)
        second = _worker(tmp_path / f"{workers}.db", 1.0, warm_s=60.0) if workers == 2 else first
        _send(second, frames, range(500, len(frames)), device_id)
        second.analyse_held(now=1e12, everything=True)
        with second.session_factory() as session:
            stored.append([(e.rhythm, e.start_t_us, e.end_t_us)
                           for e in crud.list_episodes(session=session, device_id=device_id)])
    assert len(stored[0]) == 1 and stored[0][0][0] == "N"
    assert stored[1] == stored[0]


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("second_chunk_s", [0.7, 0.0, 1.3])
def test_a_worker_taking_over_analyses_what_the_one_before_held_once(mitdb, tmp_path, second_chunk_s):
    """Worker A stores 23.8 s in 1-s chunks (0.8 s held, never analysed there, with a beat in it) and stops;
    worker B takes the device over at the next frame, its replay cut otherwise (it gets further than A
    did): the stored beats are the offline ones, none missing, none twice."""
    from cardiowatch.server.devices import register_device
    from cardiowatch.server.ingest import IngestItem, PayloadKind
    from cardiowatch.server.storage import crud

    counts = _counts(mitdb, 0, 60)
    first = _worker(tmp_path / "cluster.db", 1.0)
    with first.session_factory() as session:
        device_id = register_device(session=session, name="moving", now=0.0)[0].id
        session.commit()
    frames = _encoded(device_id, counts)

    def send(ingestor, seqs) -> None:
        for seq in seqs:
            now = T0_US / 1e6 + (seq + 1) * FRAME_S
            ingestor.ingest_many([IngestItem(frames[seq], kind=PayloadKind.FRAMES, token=None, transport="test",
                                             broker_device_id=device_id)], now=now)

    send(first, range(119))
    assert first.registry.streams_[device_id].n_held == 4 * 72  # held at A, stored, not analysed
    second = _worker(tmp_path / "cluster.db", second_chunk_s)
    send(second, range(119, len(frames)))
    assert second.warmed == 1
    second.analyse_held(now=1e12, everything=True)
    with second.session_factory() as session:
        stored = [(b.t_us, b.label) for b in crud.list_beats(session=session, device_id=device_id)]
    expected = _offline_beats(counts, flush=False)
    assert stored == expected[: len(stored)]
    assert len(stored) >= len(expected) - 3


@pytest.mark.data
@pytest.mark.slow
def test_a_quiet_device_and_a_shutdown_get_their_held_samples_analysed(mitdb, tmp_path):
    from fastapi.testclient import TestClient
    from server_helpers import make_settings, register

    from cardiowatch.app import create_app
    from cardiowatch.server.storage import crud
    from cardiowatch.server.storage.db import make_session_factory

    counts = _counts(mitdb, 0, 23.8)  # 23 s in 1-s chunks, then 0.8 s held (the 40th beat in it)
    expected = _offline_beats(counts, flush=False)
    now = [T0_US / 1e6]
    app = create_app(make_settings((f"sqlite:///{tmp_path / 'chunk.db'}", None), analysis_chunk_s=1.0),
                     clock=lambda: now[0])

    def beats(device_id: int) -> list[tuple[int, str]]:
        with make_session_factory(app.state.engine)() as session:
            return [(b.t_us, b.label) for b in crud.list_beats(session=session, device_id=device_id)]

    with TestClient(app) as client:
        quiet, closing = register(client, "quiet"), register(client, "closing")
        for device in (quiet, closing):
            for frame in _encoded(device.id, counts):
                response = client.post("/api/v1/ingest/frames", content=frame, headers=device.auth)
                assert response.status_code == 200, response.text
            now[0] += 0.5
        held_back = beats(quiet.id)
        assert beats(closing.id) == held_back
        assert held_back == expected[: len(held_back)] and len(held_back) < len(expected)
        # a tick analyses the held samples that have waited a chunk: the quiet device's, not yet the other's
        client.portal.call(app.state.runtime.tick)
        after_tick = beats(quiet.id)
        assert len(after_tick) > len(held_back) and after_tick == expected[: len(after_tick)]
        assert len(after_tick) >= len(expected) - 3
        assert beats(closing.id) == held_back
    # shutting down analyses every device's held samples, each once
    assert beats(closing.id) == after_tick
    assert beats(quiet.id) == after_tick


def test_a_held_frame_reports_no_signal_quality_until_its_chunk_is_analysed():
    from cardiowatch.server.alerts import QualityObserved, SignalQuality
    from cardiowatch.server.analysis import DeviceLive, analysis_observations

    def quality(result: DeviceAnalysis) -> list:
        return [o.flag for o in analysis_observations(DeviceLive(), result) if isinstance(o, QualityObserved)]

    assert quality(DeviceAnalysis(device_id=1, live_samples=(0.1, 0.2), held=True)) == []
    assert quality(DeviceAnalysis(device_id=1, live_samples=(0.1, 0.2))) == [SignalQuality.GOOD]
