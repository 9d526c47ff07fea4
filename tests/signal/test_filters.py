"""The streaming ECG filter: pass band, chunk invariance, start-up, bad samples, method dispatch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.errors import SignalError
from cardiowatch.signal.filters import EcgFilter, ecg_clean, sosfilt_1d


def _run_chunked(filt: EcgFilter, x: np.ndarray, cuts: list[int]) -> np.ndarray:
    filt.reset()
    out, pos = [], 0
    for n in cuts:
        out.append(filt.process(x[pos : pos + n]))
        pos += n
    out.append(filt.process(x[pos:]))
    return np.concatenate(out)


def _gain(fs: float, freq_hz: float, **kwargs: float) -> float:
    t = np.arange(int(20 * fs)) / fs
    y = EcgFilter(fs=fs, **kwargs).process(np.sin(2 * np.pi * freq_hz * t))
    tail = y[len(y) // 2 :]
    return float(np.sqrt(2 * np.mean(tail**2)))


@pytest.mark.parametrize("fs", [125.0, 250.0, 360.0, 500.0])
def test_ecg_filter_passes_qrs_band_and_rejects_drift_and_high_noise(fs: float) -> None:
    assert _gain(fs, 10.0) == pytest.approx(1.0, abs=0.05)
    assert _gain(fs, 0.05) < 0.05
    if fs / 2 > 110:
        assert _gain(fs, 100.0) < 0.2


def test_ecg_filter_notch_removes_mains() -> None:
    assert _gain(500.0, 50.0, notch_hz=50.0) < 0.05
    assert _gain(500.0, 50.0) > 0.3


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(0, 500), max_size=30))
def test_ecg_filter_output_is_identical_for_any_chunk_split(cuts: list[int]) -> None:
    x = np.random.default_rng(7).normal(size=4000).cumsum()
    x[1000:1010] = np.nan
    filt = EcgFilter(fs=360.0)
    filt.reset()
    whole = filt.process(x)
    assert np.array_equal(_run_chunked(filt, x, cuts), whole)


def test_ecg_filter_starts_without_step_on_dc_offset() -> None:
    y = EcgFilter(fs=250.0).process(np.full(500, 3.7))
    assert np.abs(y).max() < 1e-9


def test_ecg_filter_nan_does_not_poison_state(rng: np.random.Generator) -> None:
    x = rng.normal(size=5000)
    x[100:300] = np.nan
    x[2000] = np.inf
    y = ecg_clean(x, fs=250.0)
    assert np.isfinite(y).all()
    assert np.abs(y[3000:]).max() < 10


def test_ecg_filter_leading_nan_gives_zeros_then_starts() -> None:
    x = np.concatenate([np.full(50, np.nan), np.full(200, 2.0)])
    y = EcgFilter(fs=250.0).process(x)
    assert np.array_equal(y[:50], np.zeros(50)) and np.abs(y[50:]).max() < 1e-9


def test_ecg_filter_empty_chunk_returns_empty() -> None:
    assert EcgFilter(fs=250.0).process(np.zeros(0)).shape == (0,)


def test_ecg_filter_delay_matches_a_measured_pulse_lag() -> None:
    fs = 360.0
    filt = EcgFilter(fs=fs)
    t = np.arange(int(4 * fs)) / fs
    pulse = np.exp(-0.5 * ((t - 2.0) / 0.012) ** 2)  # a QRS-like 12 ms Gaussian
    lag = int(np.argmax(filt.process(pulse))) - int(np.argmax(pulse))
    assert abs(lag - filt.delay_samples) <= 2


def test_ecg_filter_rejects_bad_fs_and_bad_band() -> None:
    with pytest.raises(SignalError):
        EcgFilter(fs=0)
    with pytest.raises(ValueError, match="below"):
        EcgFilter(fs=250.0, low_hz=50.0, high_hz=40.0)


def test_ecg_clean_unknown_method_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="'bandpass'"):
        ecg_clean(np.zeros(10), fs=250.0, method="wavelet")


def test_ecg_clean_rejects_2d_input() -> None:
    with pytest.raises(SignalError):
        ecg_clean(np.zeros((2, 10)), fs=250.0)


def test_ecg_clean_highpass_removes_drift_but_keeps_high_frequencies() -> None:
    fs = 500.0
    t = np.arange(int(20 * fs)) / fs
    y = ecg_clean(np.sin(2 * np.pi * 0.05 * t) + np.sin(2 * np.pi * 100.0 * t), fs=fs, method="highpass")
    tail = y[len(y) // 2 :]
    assert np.sqrt(2 * np.mean(tail**2)) == pytest.approx(1.0, abs=0.1)  # the 100 Hz tone stays
    assert abs(tail.mean()) < 0.05


@pytest.mark.parametrize("fs", [125.0, 360.0, 1000.0])
@pytest.mark.parametrize("n", [1, 2, 7, 360])
def test_sosfilt_1d_equals_scipy_sosfilt_bit_for_bit(fs: float, n: int) -> None:
    from scipy import signal as sps

    rng = np.random.default_rng(7)
    sos = EcgFilter(fs=fs, notch_hz=50.0).sos
    zi = rng.normal(size=(len(sos), 2))
    x = rng.normal(size=n)
    zi_given, x_given = zi.copy(), x.copy()
    want, want_zf = sps.sosfilt(sos, x, zi=zi)
    got, got_zf = sosfilt_1d(sos, x, zi)
    assert got.tobytes() == want.tobytes() and got_zf.tobytes() == want_zf.tobytes()
    assert np.array_equal(zi, zi_given) and np.array_equal(x, x_given)  # inputs left as they were
