"""The streaming QRS detector on generated ECG: accuracy at several rates, chunking, bad input, delay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.errors import SignalError
from cardiowatch.evaluate.match import score_detection
from cardiowatch.signal.qrs import QrsDetector, ecg_find_beats


def synthetic_ecg(
    *, fs: float, duration_s: float, rng: np.random.Generator, hr_bpm: float = 72.0, noise: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """A P-QRS-T train (Gaussian waves, RR jitter, baseline wander); returns (signal in mV, R samples)."""
    t = np.arange(int(duration_s * fs)) / fs
    x = 0.15 * np.sin(2 * np.pi * 0.25 * t) + noise * rng.normal(size=t.size)
    r_times = []
    r = 0.6
    while r < duration_s - 0.6:
        r_times.append(r)
        r += 60.0 / hr_bpm * rng.uniform(0.85, 1.15)
    waves = ((-0.2, 0.025, 0.15), (-0.025, 0.01, -0.1), (0.0, 0.012, 1.2), (0.03, 0.01, -0.25), (0.28, 0.05, 0.3))
    for rt in r_times:
        for offset, width, amp in waves:
            x += amp * np.exp(-0.5 * ((t - rt - offset) / width) ** 2)
    return x, np.round(np.asarray(r_times) * fs).astype(np.int64)


def _chunked(det: QrsDetector, x: np.ndarray, cuts: list[int]) -> np.ndarray:
    det.reset()
    out, pos = [], 0
    for n in cuts:
        out.append(det.process(x[pos : pos + n]))
        pos += n
    out += [det.process(x[pos:]), det.flush()]
    return np.concatenate(out)


@pytest.mark.parametrize("fs", [125.0, 250.0, 360.0, 500.0])
def test_qrs_detector_finds_every_beat_on_time_at_any_rate(fs: float, rng: np.random.Generator) -> None:
    x, ref = synthetic_ecg(fs=fs, duration_s=60.0, rng=rng)
    beats = ecg_find_beats(x, fs=fs)
    score = score_detection(ref, beats, fs=fs)
    assert (score.fn, score.fp) == (0, 0)
    assert np.abs(beats - ref).max() <= 0.02 * fs  # R peak located within 20 ms


def test_ecg_find_beats_returns_sorted_unique_int64(rng: np.random.Generator) -> None:
    x, _ = synthetic_ecg(fs=250.0, duration_s=30.0, rng=rng, hr_bpm=150.0)
    beats = ecg_find_beats(x, fs=250.0)
    assert beats.dtype == np.int64 and np.all(np.diff(beats) > 0)


def test_qrs_detector_follows_a_tachycardia_and_a_bradycardia(rng: np.random.Generator) -> None:
    for hr in (40.0, 180.0):
        x, ref = synthetic_ecg(fs=250.0, duration_s=60.0, rng=rng, hr_bpm=hr)
        score = score_detection(ref, ecg_find_beats(x, fs=250.0), fs=250.0)
        assert (score.fn, score.fp) == (0, 0), hr


@pytest.mark.parametrize("change", ["inverted", "mains_hum", "baseline_wander", "microvolts", "kilovolts"])
def test_qrs_detector_is_unaffected_by_polarity_hum_wander_and_units(change: str, rng: np.random.Generator) -> None:
    fs = 250.0
    x, ref = synthetic_ecg(fs=fs, duration_s=60.0, rng=rng)
    t = np.arange(x.size) / fs
    y = {
        "inverted": -x,  # electrodes swapped
        "mains_hum": x + 1.0 * np.sin(2 * np.pi * 50.0 * t),
        "baseline_wander": x + 2.0 * np.sin(2 * np.pi * 0.1 * t) + 0.5 * np.sin(2 * np.pi * 0.7 * t),
        "microvolts": x * 1e3,
        "kilovolts": x * 1e-3,
    }[change]
    beats = ecg_find_beats(y, fs=fs)
    score = score_detection(ref, beats, fs=fs)
    assert (score.fn, score.fp) == (0, 0)
    assert np.abs(beats - ref).max() <= 0.02 * fs


_X, _REF = synthetic_ecg(fs=250.0, duration_s=20.0, rng=np.random.default_rng(5))
_X[2000:2300] = np.nan  # a 1.2-s gap: the NaN path and relearning are chunked too


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(0, 500), max_size=40))
def test_qrs_detector_gives_the_same_beats_for_any_chunk_split(cuts: list[int]) -> None:
    det = QrsDetector(fs=250.0)
    whole = np.concatenate([det.process(_X), det.flush()])
    assert len(whole) > 15
    assert np.array_equal(_chunked(det, _X, cuts), whole)


def test_qrs_detector_sample_by_sample_equals_whole(rng: np.random.Generator) -> None:
    x, _ = synthetic_ecg(fs=125.0, duration_s=12.0, rng=rng)
    det = QrsDetector(fs=125.0)
    whole = np.concatenate([det.process(x), det.flush()])
    assert np.array_equal(_chunked(det, x, [1] * x.size), whole)


def test_qrs_detector_reports_no_beats_on_flat_line() -> None:
    assert ecg_find_beats(np.full(5000, 0.3), fs=250.0).size == 0


def test_qrs_detector_reports_no_beats_on_all_nan() -> None:
    assert ecg_find_beats(np.full(5000, np.nan), fs=250.0).size == 0


@pytest.mark.parametrize("bad", ["nan", "inf", "flat", "clipped"])
def test_qrs_detector_emits_no_beats_inside_a_bad_stretch_and_recovers(bad: str, rng: np.random.Generator) -> None:
    fs = 250.0
    x, ref = synthetic_ecg(fs=fs, duration_s=40.0, rng=rng)
    lo, hi = int(15 * fs), int(22 * fs)
    if bad == "nan":
        x[lo:hi] = np.nan
    elif bad == "inf":
        x[lo:hi] = np.inf
    elif bad == "flat":
        x[lo:hi] = 0.1
    else:  # the amplifier saturates at its rail for the whole stretch
        x[lo:hi] = x.max() + 1.0
    beats = ecg_find_beats(x, fs=fs)
    assert not np.any((beats >= lo) & (beats < hi))
    after = ref[ref > hi + 3 * fs]
    assert score_detection(after, beats[beats > hi + 3 * fs], fs=fs).sensitivity == 1.0


def test_qrs_detector_learns_afresh_after_a_lead_off_gap(rng: np.random.Generator) -> None:
    fs = 250.0
    x, ref = synthetic_ecg(fs=fs, duration_s=60.0, rng=rng, noise=0.002)
    gap_lo, gap_hi = int(20 * fs), int(23 * fs)
    x[gap_lo:gap_hi] = np.nan  # lead off for 3 s ...
    x[gap_hi:] *= 0.05  # ... and the electrode comes back with a twentieth of the amplitude
    beats = ecg_find_beats(x, fs=fs)
    late = ref[ref > 28 * fs]
    assert score_detection(late, beats[beats > 28 * fs], fs=fs).sensitivity == 1.0
    assert not np.any((beats >= gap_lo) & (beats < gap_hi))


def test_qrs_detector_keeps_detecting_after_the_amplitude_drops(rng: np.random.Generator) -> None:
    fs = 250.0
    x, ref = synthetic_ecg(fs=fs, duration_s=60.0, rng=rng, noise=0.002)
    x[int(30 * fs) :] *= 0.2  # electrode contact worsens: beats shrink five-fold
    beats = ecg_find_beats(x, fs=fs)
    late = ref[ref > 40 * fs]
    assert score_detection(late, beats[beats > 40 * fs], fs=fs).sensitivity == 1.0


def test_qrs_detector_reports_each_beat_within_its_declared_delay(rng: np.random.Generator) -> None:
    fs = 250.0
    x, _ = synthetic_ecg(fs=fs, duration_s=60.0, rng=rng)
    det = QrsDetector(fs=fs)
    worst, seen = 0.0, 0
    for chunk in np.array_split(x, x.size // 5):
        beats = det.process(chunk)
        seen += chunk.size
        if beats.size:
            worst = max(worst, (seen - beats.min()) / fs)
    assert 0 < worst <= det.delay_s


def test_qrs_detector_empty_chunk_returns_empty_int64() -> None:
    out = QrsDetector(fs=250.0).process(np.zeros(0))
    assert out.dtype == np.int64 and out.size == 0


def test_qrs_detector_rejects_bad_fs_and_2d_input() -> None:
    with pytest.raises(SignalError):
        QrsDetector(fs=float("nan"))
    with pytest.raises(SignalError):
        QrsDetector(fs=250.0).process(np.zeros((3, 3)))


def test_baseline_line_equals_numpy_linspace_bit_for_bit() -> None:
    from cardiowatch.signal.qrs import _line

    rng = np.random.default_rng(11)
    cases = [(0.0, 0.0, 5), (1.0, 1.0, 1), (2.5, -3.0, 1), (1e-310, 2e-310, 7), (-0.0, 0.0, 3)]
    cases += [(float(a), float(b), int(n)) for a, b, n in zip(rng.normal(size=200), rng.normal(size=200),
                                                               rng.integers(1, 120, size=200))]
    for first, last, n in cases:
        assert _line(first, last, n).tobytes() == np.linspace(first, last, n).tobytes()
