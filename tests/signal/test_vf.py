"""The streaming shockable-rhythm detector on generated signals (the real records: tests/evaluate)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cardiowatch.errors import ModelError, SignalError
from cardiowatch.signal.quality_segment import QualityFlag
from cardiowatch.signal.vf import FEATURE_NAMES, VfChange, VfDetector, VfModel, VfWindow


def _vf_like(fs: float, seconds: float, seed: int = 1) -> np.ndarray:
    """A coarse VF-like wave: ~5 Hz with a wandering frequency and an irregular amplitude (mV)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    freq = 5.0 + 0.8 * np.convolve(rng.normal(size=n), np.ones(int(fs)) / fs, mode="same")
    phase = 2 * np.pi * np.cumsum(freq) / fs
    amp = 0.6 + 0.3 * np.sin(2 * np.pi * 0.3 * np.arange(n) / fs + rng.uniform(0, 6))
    return amp * np.sin(phase) + 0.02 * rng.normal(size=n)


def _sinus_like(fs: float, seconds: float, rate_bpm: float = 72.0, seed: int = 2) -> np.ndarray:
    """Narrow QRS spikes with a T wave at a steady rate (mV)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    x = np.zeros_like(t)
    for r in np.arange(0.3, seconds, 60.0 / rate_bpm):
        x += 1.2 * np.exp(-0.5 * ((t - r) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - r - 0.25) / 0.05) ** 2)
    return x + 0.02 * rng.normal(size=t.size)


def _run(det: VfDetector, x: np.ndarray) -> list[VfWindow | VfChange]:
    det.reset()
    return det.process(x) + det.flush()


def _windows(events: list[VfWindow | VfChange]) -> list[VfWindow]:
    return [e for e in events if isinstance(e, VfWindow)]


def _changes(events: list[VfWindow | VfChange]) -> list[VfChange]:
    return [e for e in events if isinstance(e, VfChange)]


@pytest.mark.parametrize("fs", [125.0, 250.0, 360.0, 500.0])
def test_vf_detector_enters_vf_on_a_vf_like_wave(fs: float) -> None:
    x = np.r_[_sinus_like(fs, 20), _vf_like(fs, 30)]
    changes = _changes(_run(VfDetector(fs=fs), x))
    assert changes and changes[0].in_vf
    assert 20 * fs <= changes[0].sample <= 30 * fs  # decided within 10 s of the onset, not before it


@pytest.mark.parametrize("fs", [125.0, 250.0, 360.0])
def test_vf_detector_stays_out_of_vf_on_sinus_rhythm(fs: float) -> None:
    events = _run(VfDetector(fs=fs), np.r_[_sinus_like(fs, 30), _sinus_like(fs, 30, rate_bpm=150.0)])
    assert _changes(events) == []
    assert not any(w.shockable for w in _windows(events))


def test_vf_detector_leaves_vf_when_sinus_rhythm_returns() -> None:
    fs = 250.0
    changes = _changes(_run(VfDetector(fs=fs), np.r_[_vf_like(fs, 30), _sinus_like(fs, 30)]))
    assert [c.in_vf for c in changes] == [True, False]
    assert 30 * fs <= changes[1].sample <= 40 * fs


def test_vf_detector_flags_a_flat_line_and_never_calls_it_vf() -> None:
    fs = 250.0
    events = _run(VfDetector(fs=fs), np.full(int(20 * fs), 0.3))
    windows = _windows(events)
    assert windows and all(w.quality is QualityFlag.FLAT and not w.shockable for w in windows)
    assert _changes(events) == []


def test_vf_detector_does_not_score_windows_with_a_stretch_of_nan() -> None:
    fs = 250.0
    x = _vf_like(fs, 20)
    x[int(10 * fs) : int(11 * fs)] = np.nan  # 1 s of a 4-s window: 25 % missing
    windows = _windows(_run(VfDetector(fs=fs), x))
    touched = [w for w in windows if w.start < 11 * fs and 10 * fs < w.end]
    assert len(touched) == 4
    assert all(w.quality is QualityFlag.MISSING and w.score == 0.0 and not w.shockable for w in touched)


def test_vf_detector_still_judges_a_window_with_a_few_invalid_samples() -> None:
    fs = 250.0
    x = _vf_like(fs, 30)
    x[int(15 * fs) : int(15 * fs) + 5] = np.nan  # a saturated peak marked invalid by the recorder
    windows = _windows(_run(VfDetector(fs=fs), x))
    assert all(w.quality is None for w in windows)


def test_vf_detector_flags_a_signal_held_at_a_rail() -> None:
    fs = 250.0
    x = _vf_like(fs, 20)
    x[int(8 * fs) : int(9 * fs)] = x.max()  # an amplifier at its rail for 1 s
    windows = _windows(_run(VfDetector(fs=fs), x))
    touched = [w for w in windows if w.start < 9 * fs and 8 * fs < w.end]
    assert touched and all(w.quality is QualityFlag.CLIPPED and not w.shockable for w in touched)


def test_vf_detector_does_not_call_broadband_noise_vf() -> None:
    fs = 250.0
    rng = np.random.default_rng(3)
    events = _run(VfDetector(fs=fs), rng.normal(size=int(60 * fs)))
    assert _changes(events) == []


def test_vf_windows_tile_the_input_one_hop_apart() -> None:
    fs = 250.0
    det = VfDetector(fs=fs)
    windows = _windows(_run(det, _sinus_like(fs, 10)))
    assert [(w.start, w.end) for w in windows] == [(e - det.window, e) for e in range(1000, 2501, 250)]


@pytest.mark.parametrize("fs", [100.0, 1000.0])
def test_vf_detector_refuses_rates_outside_125_to_500_hz(fs: float) -> None:
    with pytest.raises(SignalError, match="125-500 Hz"):
        VfDetector(fs=fs)


def test_vf_detector_refuses_a_nonsense_rate() -> None:
    with pytest.raises(SignalError):
        VfDetector(fs=float("nan"))


def test_vf_detector_refuses_input_after_flush() -> None:
    det = VfDetector(fs=250.0)
    det.flush()
    with pytest.raises(RuntimeError, match="reset"):
        det.process(np.zeros(10))


def test_vf_model_rejects_a_file_of_another_format() -> None:
    d = VfModel.load_shipped(features=FEATURE_NAMES).to_dict()
    d["format"] = 0
    with pytest.raises(ModelError, match="format"):
        VfModel.from_dict(d, features=FEATURE_NAMES)


def test_vf_model_rejects_a_file_made_for_other_features() -> None:
    d = VfModel.load_shipped(features=FEATURE_NAMES).to_dict()
    with pytest.raises(ModelError, match="features"):
        VfModel.from_dict(d, features=FEATURE_NAMES[:-1])


def test_vf_model_rejects_a_threshold_outside_zero_one() -> None:
    with pytest.raises(ModelError, match="threshold"):
        dataclasses.replace(VfModel.load_shipped(features=FEATURE_NAMES), threshold=1.5)


def test_vf_model_rejects_a_node_pointing_outside_the_tree() -> None:
    model = VfModel.load_shipped(features=FEATURE_NAMES)
    with pytest.raises(ModelError, match="outside"):
        dataclasses.replace(model, left=(len(model.left),) + model.left[1:])


def test_vf_detector_delay_covers_a_window_and_the_hysteresis() -> None:
    det = VfDetector(fs=250.0)
    m = det.model
    assert det.delay_s == pytest.approx(m.window_s + (max(m.n_enter, m.n_exit) - 1) * m.hop_s)
