"""The C PPG pulse detector (firmware/core/cw_ppg.c) against the Python reference (signal/ppg.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import agreement

#: Clean and ectopy-rich (24, 38, 41, 53: pulse deficits), and low-perfusion records.
RECORDS = ["bidmc01", "bidmc05", "bidmc13", "bidmc24", "bidmc30", "bidmc38", "bidmc41", "bidmc47", "bidmc53"]
AGREEMENT_TARGET = 0.995


@pytest.mark.data
def test_c_ppg_pulses_match_python_within_one_sample_on_bidmc(host_build: Path, bidmc: str) -> None:
    rows = [agreement.ppg_agreement(record, host_dir=host_build) for record in RECORDS]
    matched = sum(r.matched for r in rows)
    union = sum(r.n_python + r.n_c - r.matched for r in rows)
    assert sum(r.n_python for r in rows) > 4000
    assert matched / union >= AGREEMENT_TARGET, [(r.record, r.n_python, r.n_c, r.matched) for r in rows]


@pytest.fixture(scope="module")
def pleth(bidmc: str) -> tuple[np.ndarray, float]:
    counts, fs = agreement.bidmc_counts("bidmc24")
    return counts[: int(120 * fs)], fs


@pytest.mark.data
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 500), min_size=1, max_size=6).filter(lambda c: any(c)))
def test_c_ppg_gives_the_same_pulses_for_any_chunk_split(host_build: Path, pleth: tuple[np.ndarray, float],
                                                         cuts: list[int]) -> None:
    counts, fs = pleth
    whole = agreement.run_c("ppg", counts, fs=fs, cuts=[4096], host_dir=host_build)
    assert len(whole) > 100
    np.testing.assert_array_equal(agreement.run_c("ppg", counts, fs=fs, cuts=cuts, host_dir=host_build), whole)


def _pulse_train(fs: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n) / fs
    phase = 2 * np.pi * 1.2 * t  # 72 bpm
    x = np.sin(phase) + 0.35 * np.sin(2 * phase - 1.0) + rng.normal(0.0, 0.01, n)
    onsets = np.flatnonzero(np.diff(np.floor(phase / (2 * np.pi))) > 0)
    return x, onsets


def test_c_ppg_follows_a_gain_and_offset_step_like_a_change_of_finger_pressure(
        host_build: Path, rng: np.random.Generator) -> None:
    fs = 100.0
    n = int(60 * fs)
    x, _ = _pulse_train(fs, n, rng)
    step = np.arange(n) >= n // 2
    adc = np.where(step, 2600 + 60 * x, 1500 + 200 * x)  # pressure: offset +1100, amplitude x0.3
    pulses = agreement.run_c("ppg", adc.astype(np.int16), fs=fs, host_dir=host_build)
    before = pulses[(pulses > 2 * fs) & (pulses < n // 2)]
    after = pulses[pulses > n // 2 + 3 * fs]
    # 72 bpm: one pulse per 0.83 s on both sides of the step, no double counting
    assert np.allclose(np.diff(before) / fs, 1 / 1.2, atol=0.05)
    assert np.allclose(np.diff(after) / fs, 1 / 1.2, atol=0.05)
    assert len(after) >= 30


def test_c_ppg_reports_no_pulse_on_a_flat_line(host_build: Path) -> None:
    pulses = agreement.run_c("ppg", np.full(3000, 1800, dtype=np.int16), fs=100.0, host_dir=host_build)
    assert pulses.size == 0
