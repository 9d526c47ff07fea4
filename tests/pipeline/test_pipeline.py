"""The one streaming pipeline: chunking never changes its output, and bad signal never reads as asystole."""

from __future__ import annotations

import numpy as np
import pytest

from cardiowatch.pipeline import Pipeline, PipelineConfig, analyze_signal

FS = 250.0


def _spiky_ecg(*, fs: float, beats_s: float, silence_s: float, rng: np.random.Generator) -> np.ndarray:
    """Narrow QRS-like spikes at 75 bpm for ``beats_s``, then only baseline noise (no beat)."""
    t = np.arange(int((beats_s + silence_s) * fs)) / fs
    x = sum(np.exp(-0.5 * ((t - r) / 0.012) ** 2) for r in np.arange(0.5, beats_s, 0.8))
    return x + 0.01 * rng.normal(size=t.size)


def _synthetic_ppg(*, fs: float, duration_s: float) -> np.ndarray:
    t = np.arange(int(duration_s * fs)) / fs
    phase = (t % 0.8) / 0.8
    return np.exp(-0.5 * ((phase - 0.2) / 0.07) ** 2) + 0.35 * np.exp(-0.5 * ((phase - 0.55) / 0.08) ** 2)


def _summary(analysis) -> tuple:
    return (analysis.beat_samples.tolist(), list(analysis.beat_labels),
            [(c.sample, c.rhythm) for c in analysis.rhythm_changes],
            [(e.kind, e.sample) for e in analysis.events], analysis.quality)


def test_ecg_silence_after_beats_raises_one_asystole_from_the_last_beat(rng) -> None:
    x = _spiky_ecg(fs=FS, beats_s=30, silence_s=20, rng=rng)
    result = analyze_signal(x, fs=FS, sensor="ecg", chunk_s=0.2)
    asystole = [e for e in result.events if e.kind == "ASYSTOLE"]
    assert len(asystole) == 1
    last_beat = result.beat_samples.max()
    assert abs(asystole[0].sample - last_beat) <= 0.8 * FS  # from the last (or the one before) beat


def test_ppg_nan_gap_is_not_read_as_a_pause_or_asystole() -> None:
    x = _synthetic_ppg(fs=FS, duration_s=60)
    x[int(20 * FS): int(30 * FS)] = np.nan  # 10 s with the sensor unreadable
    result = analyze_signal(x, fs=FS, sensor="ppg", chunk_s=0.25)
    assert not [e for e in result.events if e.kind in ("PAUSE", "ASYSTOLE")]
    assert len(result.beat_samples) > 50  # pulses before and after the gap are still found


def test_ppg_flat_line_gives_no_pulses_and_a_flat_flag() -> None:
    x = np.full(int(30 * FS), 0.5)
    result = analyze_signal(x, fs=FS, sensor="ppg")
    assert len(result.beats) == 0
    assert {q.flag for q in result.quality} == {"flat"}
    assert not result.events


def test_heart_rate_follows_the_beats() -> None:
    pipe = Pipeline(PipelineConfig(fs=FS, sensor="ppg"))
    x = _synthetic_ppg(fs=FS, duration_s=40)
    rates = [out.heart_rate_bpm for out in (pipe.process(x[i:i + 250]) for i in range(0, len(x), 250))]
    assert rates[-1] == pytest.approx(75.0, abs=1.0)


def test_unknown_sensor_is_refused() -> None:
    with pytest.raises(ValueError, match="valid: 'ecg', 'ppg'"):
        Pipeline(PipelineConfig(fs=FS, sensor="eeg"))  # type: ignore[arg-type]


@pytest.mark.data
@pytest.mark.parametrize("database, record, channel, sensor", [
    ("mitdb", "200", "MLII", "ecg"),
    ("mitdb", "232", "MLII", "ecg"),
    ("bidmc", "bidmc40", "PLETH", "ppg"),
])
def test_chunked_equals_whole_on_real_records(database, record, channel, sensor, request) -> None:
    from cardiowatch.data import read_record

    rec = read_record(request.getfixturevalue(database), record, annotator=None)
    x = rec.signals[channel][: int(600 * rec.fs)].copy()
    x[int(55.5 * rec.fs): int(58 * rec.fs)] = np.nan  # a lead-off stretch
    whole = _summary(analyze_signal(x, fs=rec.fs, sensor=sensor))
    cuts = np.cumsum(np.random.default_rng(7).integers(0, int(2 * rec.fs), size=2000))
    pipe = Pipeline(PipelineConfig(fs=rec.fs, sensor=sensor))
    pieces = np.split(x, cuts[cuts < len(x)])
    from cardiowatch.pipeline import RecordAnalysis

    chunked = RecordAnalysis(fs=rec.fs, sensor=sensor, n_samples=len(x))
    for out in [pipe.process(p) for p in pieces] + [pipe.flush()]:
        chunked.beats += out.beats
        chunked.rhythm_changes += out.rhythm_changes
        chunked.events += out.events
        chunked.quality += out.quality
    assert _summary(chunked) == whole


def test_hrv_comes_from_the_last_five_minutes_of_beats() -> None:
    from cardiowatch.rhythm.hrv import hrv_time

    pipe = Pipeline(PipelineConfig(fs=FS, sensor="ppg"))
    x = _synthetic_ppg(fs=FS, duration_s=60)
    outputs = [pipe.process(x[i:i + 500]) for i in range(0, len(x), 500)]
    beats = np.array([b.sample for out in outputs for b in out.beats])
    latest = [out.hrv for out in outputs if out.hrv is not None][-1]
    want = hrv_time(beats, fs=FS)
    assert latest.sdnn_ms == pytest.approx(want.sdnn_ms) and latest.n_intervals == want.n_intervals
    assert latest.sdnn_ms < 5.0  # a metronome pulse: almost no variability


def test_ecg_beats_in_a_noisy_stretch_are_unclassifiable_and_feed_no_rhythm(rng) -> None:
    # 60 s of spikes at 75 bpm; from 20 s to 40 s broadband noise as large as the spikes (EcgQuality
    # flags it noisy): the beats found there are reported as Q, the rate pauses, no event is raised.
    x = _spiky_ecg(fs=FS, beats_s=60, silence_s=0, rng=rng)
    noisy = slice(int(20 * FS), int(40 * FS))
    x[noisy] += 0.8 * rng.normal(size=x[noisy].size)

    result = analyze_signal(x, fs=FS, sensor="ecg", chunk_s=0.2)

    flagged = [q for q in result.quality if q.flag == "noisy"]
    assert flagged and flagged[0].start <= 21 * FS and flagged[-1].end >= 39 * FS
    inside = [b for b in result.beats if flagged[0].start <= b.sample < flagged[-1].end]
    outside = [b for b in result.beats if b.sample < 19 * FS or b.sample >= 41 * FS]
    assert inside and all(b.label == "Q" for b in inside)
    assert outside and all(b.label != "Q" for b in outside)
    assert not result.events
    assert [c.rhythm for c in result.rhythm_changes] == ["N"]


def test_heart_rate_is_not_shown_from_beats_seen_in_noise(rng) -> None:
    x = _spiky_ecg(fs=FS, beats_s=40, silence_s=0, rng=rng)
    x[int(20 * FS):] += 0.8 * rng.normal(size=x[int(20 * FS):].size)
    pipe = Pipeline(PipelineConfig(fs=FS, sensor="ecg"))

    rates = [pipe.process(x[i:i + 250]).heart_rate_bpm for i in range(0, len(x), 250)]

    assert rates[int(15 * FS) // 250] == pytest.approx(75.0, abs=1.0)
    assert all(r is None for r in rates[int(25 * FS) // 250:])


def _ecg_with_vf(rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """60 s of spikes at 75 bpm, 30 s of a VF-like wave (about 5 Hz, drifting amplitude), 60 s of spikes."""
    t = np.arange(int(60 * FS)) / FS
    sinus = sum(np.exp(-0.5 * ((t - r) / 0.012) ** 2) for r in np.arange(0.5, 60, 0.8))
    tv = np.arange(int(30 * FS)) / FS
    vf = 0.6 * (1 + 0.4 * np.sin(2 * np.pi * 0.3 * tv)) * np.sin(2 * np.pi * (4.5 * tv + 0.3 * np.sin(tv)))
    x = np.r_[sinus, vf, sinus] + 0.01 * rng.normal(size=2 * t.size + tv.size)
    return x, t.size, t.size + tv.size


def test_vf_takes_precedence_over_beats_and_the_rate(rng) -> None:
    x, vf_start, vf_end = _ecg_with_vf(rng)
    pipe = Pipeline(PipelineConfig(fs=FS, sensor="ecg"))
    outputs = [pipe.process(x[i:i + 250]) for i in range(0, len(x), 250)] + [pipe.flush()]

    changes = [c for out in outputs for c in out.rhythm_changes]
    into_vf = [c for c in changes if c.rhythm == "VFL"]
    assert len(into_vf) == 1
    declared = into_vf[0].detected_sample
    assert vf_start <= declared <= vf_start + 6 * FS  # the detector's delay_s
    out_of_vf = next(c for c in changes if c.detected_sample > declared)
    assert out_of_vf.rhythm != "VFL" and vf_end <= out_of_vf.detected_sample <= vf_end + 6 * FS
    beats = np.array([b.sample for out in outputs for b in out.beats])
    assert not np.any((beats >= declared) & (beats < vf_end))
    assert np.sum(beats > out_of_vf.detected_sample) > 50  # beats come back after VF
    rates = [out.heart_rate_bpm for out in outputs[declared // 250 + 1: vf_end // 250]]
    assert rates and all(r is None for r in rates)
    assert not [e for out in outputs for e in out.events if e.kind in ("PAUSE", "ASYSTOLE")]


def test_vf_output_is_the_same_whole_or_in_frames(rng) -> None:
    x, _, _ = _ecg_with_vf(rng)
    whole = analyze_signal(x, fs=FS, sensor="ecg")
    chunked = analyze_signal(x, fs=FS, sensor="ecg", chunk_s=0.37)
    assert _summary(chunked) == _summary(whole)
    assert "VFL" in [c.rhythm for c in whole.rhythm_changes]
