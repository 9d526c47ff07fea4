"""Tests of the streaming PPG pulse detector (`cardiowatch.signal.ppg`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _ppg_synth import synth_ppg
from cardiowatch.errors import SignalError
from cardiowatch.evaluate.match import match_beats, score_detection
from cardiowatch.signal.ppg import PpgPulseDetector, ppg_find_pulses


def _expected(onsets: np.ndarray, pulses: np.ndarray, fs: float) -> np.ndarray:
    """Onsets shifted by the median onset-to-fiducial lag (the fiducial is on the upstroke)."""
    j = np.searchsorted(onsets, pulses, side="right") - 1
    lag = int(np.median(pulses[j >= 0] - onsets[j[j >= 0]]))
    return onsets + lag


def _inner_score(onsets: np.ndarray, pulses: np.ndarray, fs: float, n: int):
    """Score away from the first and last second (detector start-up and look-ahead at the end)."""
    expected = _expected(onsets, pulses, fs)
    lo, hi = int(1.2 * fs), n - int(1.2 * fs)
    keep_e = (expected >= lo) & (expected < hi)
    keep_p = (pulses >= lo) & (pulses < hi)
    return score_detection(expected[keep_e], pulses[keep_p], fs=fs)


def _run_chunked(det: PpgPulseDetector, x: np.ndarray, cuts: list[int]) -> np.ndarray:
    det.reset()
    out, pos = [], 0
    for c in cuts:
        out.append(det.process(x[pos : pos + c]))
        pos += c
    out.append(det.process(x[pos:]))
    out.append(det.flush())
    return np.concatenate(out)


@pytest.mark.parametrize("fs", [100.0, 125.0, 250.0])
def test_ppg_detector_finds_every_pulse_at_common_sensor_rates(fs: float, rng: np.random.Generator) -> None:
    x, onsets = synth_ppg(fs=fs, duration_s=60, hr_bpm=75, rng=rng, hr_jitter=0.1)
    x = 1000 + 200 * x + rng.normal(0, 2, len(x))

    pulses = ppg_find_pulses(x, fs=fs)

    score = _inner_score(onsets, pulses, fs, len(x))
    assert score.fn == 0
    assert score.fp == 0
    assert pulses.min() >= fs  # nothing while the filter settles
    assert pulses.dtype == np.int64


def test_ppg_fiducial_is_on_the_systolic_upstroke() -> None:
    fs = 125.0
    x, onsets = synth_ppg(fs=fs, duration_s=20, hr_bpm=60, dicrotic=0.0)

    pulses = ppg_find_pulses(x, fs=fs)

    lag_s = np.median(pulses - onsets[np.searchsorted(onsets, pulses, side="right") - 1]) / fs
    # The systolic wave peaks 0.15 s after onset; its steepest rise is before that, plus the
    # causal filter's delay of a few tens of ms.
    assert 0.05 <= lag_s <= 0.2


def test_ppg_detector_does_not_count_a_strong_dicrotic_wave_under_noise(rng: np.random.Generator) -> None:
    fs = 100.0
    x, onsets = synth_ppg(fs=fs, duration_s=120, hr_bpm=60, dicrotic=0.6)
    x = x + rng.normal(0, 0.05, len(x))

    pulses = ppg_find_pulses(x, fs=fs)

    score = _inner_score(onsets, pulses, fs, len(x))
    assert score.fp == 0
    assert score.fn == 0


def test_ppg_detector_is_scale_and_offset_free(rng: np.random.Generator) -> None:
    fs = 125.0
    x, _ = synth_ppg(fs=fs, duration_s=40, hr_bpm=80, rng=rng, hr_jitter=0.15)

    base = ppg_find_pulses(x, fs=fs)
    scaled = ppg_find_pulses(3000 + 1e4 * x, fs=fs)
    tiny = ppg_find_pulses(-5 + 1e-3 * x, fs=fs)

    np.testing.assert_array_equal(scaled, base)
    np.testing.assert_array_equal(tiny, base)


def test_ppg_detector_reads_an_inverted_sensor_when_told(rng: np.random.Generator) -> None:
    fs = 100.0
    x, _ = synth_ppg(fs=fs, duration_s=40, hr_bpm=70, rng=rng, hr_jitter=0.1)
    raw = 250_000 - 3000 * x  # MAX30102-like: more blood, less light

    upright = ppg_find_pulses(x, fs=fs)
    inverted = ppg_find_pulses(raw, fs=fs, invert=True)

    np.testing.assert_array_equal(inverted, upright)


def test_ppg_detector_holds_through_pressure_and_drift_changes(rng: np.random.Generator) -> None:
    fs = 100.0
    x, onsets = synth_ppg(fs=fs, duration_s=120, hr_bpm=70, rng=rng, hr_jitter=0.05)
    n = len(x)
    t = np.arange(n) / fs
    step = (t >= 60).astype(float)
    # Pressure change at 60 s: amplitude drops to a quarter and the level jumps; slow drift on top.
    y = 2000 + 400 * x * (1 - 0.75 * step) + 500 * step + 300 * np.sin(2 * np.pi * t / 120)

    pulses = ppg_find_pulses(np.round(y), fs=fs)

    expected = _expected(onsets, pulses, fs)
    ref_idx, det_idx = match_beats(expected, pulses, fs=fs)
    missed = np.delete(expected, ref_idx)
    extra = np.delete(pulses, det_idx)
    settled = lambda s: ((s > 1.2 * fs) & (s < 59 * fs)) | ((s > 63 * fs) & (s < n - 1.2 * fs))  # noqa: E731
    assert len(missed[settled(missed)]) == 0  # 3 s allowed to settle after the jump
    assert len(extra[settled(extra)]) == 0
    assert np.count_nonzero(settled(pulses)) >= 120


def test_ppg_detector_reports_no_pulses_on_flat_line() -> None:
    assert len(ppg_find_pulses(np.full(2000, 512.0), fs=100.0)) == 0


def test_ppg_detector_survives_nan_and_reports_none_inside_it(rng: np.random.Generator) -> None:
    fs = 100.0
    x, onsets = synth_ppg(fs=fs, duration_s=60, hr_bpm=70)
    x[2000:2500] = np.nan
    x[4000] = np.inf

    pulses = ppg_find_pulses(x, fs=fs)

    assert not np.any((pulses >= 2000) & (pulses < 2500 + fs))  # none inside nor while settling
    assert np.count_nonzero(pulses > 2500 + 2 * fs) >= 30  # detection resumes
    assert np.count_nonzero(pulses < 2000) >= 20


def test_ppg_detector_starts_with_nan_and_empty_chunks() -> None:
    fs = 100.0
    x, _ = synth_ppg(fs=fs, duration_s=20, hr_bpm=70)
    x[:300] = np.nan
    det = PpgPulseDetector(fs=fs).reset()

    empty = det.process(np.zeros(0))
    pulses = np.concatenate([det.process(x[:100]), det.process(x[100:]), det.flush()])

    assert empty.dtype == np.int64 and len(empty) == 0
    assert len(pulses) >= 15 and pulses.min() > 300


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 500), max_size=40))
def test_ppg_detector_gives_the_same_pulses_for_any_chunk_split(cuts: list[int]) -> None:
    fs = 125.0
    rng = np.random.default_rng(7)
    x, _ = synth_ppg(fs=fs, duration_s=40, hr_bpm=90, rng=rng, hr_jitter=0.2, dicrotic=0.5)
    x = x + rng.normal(0, 0.03, len(x))
    x[1500:1530] = np.nan
    det = PpgPulseDetector(fs=fs)

    whole = _run_chunked(det, x, [])
    chunked = _run_chunked(det, x, cuts)

    np.testing.assert_array_equal(chunked, whole)


def test_ppg_detector_reset_forgets_the_previous_record() -> None:
    fs = 100.0
    x, _ = synth_ppg(fs=fs, duration_s=30, hr_bpm=65)
    det = PpgPulseDetector(fs=fs)

    first = _run_chunked(det, x, [])
    second = _run_chunked(det, x, [])

    np.testing.assert_array_equal(first, second)


def test_ppg_detector_init_stores_arguments_only() -> None:
    det = PpgPulseDetector(fs=100.0, refractory_s=0.25)
    assert not [k for k in vars(det) if k.endswith("_")]
    assert det.refractory_s == 0.25


@pytest.mark.parametrize("fs", [0.0, -1.0, float("nan"), "fast"])
def test_ppg_detector_rejects_a_bad_sampling_rate(fs: object) -> None:
    with pytest.raises(SignalError):
        PpgPulseDetector(fs=fs).reset()  # type: ignore[arg-type]


def test_ppg_detector_rejects_two_dimensional_chunks() -> None:
    with pytest.raises(SignalError):
        PpgPulseDetector(fs=100.0).reset().process(np.zeros((3, 2)))


def _with_beats(fs: float, onsets_s: list[float], heights: list[float], duration_s: float) -> np.ndarray:
    t = np.arange(int(duration_s * fs)) / fs
    x = np.zeros(len(t))
    for o, h in zip(onsets_s, heights):
        x += h * np.exp(-0.5 * ((t - o - 0.15) / 0.06) ** 2)
        x += 0.35 * h * np.exp(-0.5 * ((t - o - 0.40) / 0.07) ** 2)
    return x


def test_ppg_detector_finds_the_weak_pulse_of_a_premature_beat() -> None:
    fs = 125.0
    onsets, heights = [], []
    t = 0.5
    for k in range(60):
        if k % 10 == 5:  # premature beat, weak pulse, then a compensatory pause
            onsets += [t, t + 0.5]
            heights += [1.0, 0.3]
            t += 0.5 + 1.1
        else:
            onsets.append(t)
            heights.append(1.0)
            t += 0.8
    x = _with_beats(fs, onsets, heights, t + 1)

    pulses = ppg_find_pulses(x, fs=fs)

    score = _inner_score(np.round(np.asarray(onsets) * fs).astype(np.int64), pulses, fs, len(x))
    assert score.fn == 0
    assert score.fp == 0


def test_ppg_detector_does_not_fill_a_real_pause_with_the_dicrotic_wave() -> None:
    fs = 125.0
    onsets = [0.5 + 0.8 * k for k in range(60) if k % 10 != 5]  # a dropped beat: 1.6 s without pulse
    x = _with_beats(fs, onsets, [1.0] * len(onsets), 0.5 + 0.8 * 60)

    pulses = ppg_find_pulses(x, fs=fs)

    score = _inner_score(np.round(np.asarray(onsets) * fs).astype(np.int64), pulses, fs, len(x))
    assert score.fp == 0
    assert score.fn == 0
