"""The C QRS detector (firmware/core/cw_qrs.c) against the Python reference (signal/qrs.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ROOT, agreement

pytest.importorskip("cardiowatch.signal.qrs", reason="the Python QRS reference has not landed yet")

#: Records of every kind: clean sinus, noise (105), low amplitude (108), PVC-rich (119, 208), AF and
#: fusion (201, 203), ventricular flutter (207), bundle branch blocks (109, 111, 214), pauses (232).
RECORDS = ["100", "105", "108", "109", "111", "119", "201", "203", "207", "208", "214", "232"]
AGREEMENT_TARGET = 0.995


@pytest.mark.data
def test_c_qrs_beats_match_python_within_one_sample_on_mitdb(host_build: Path, mitdb: str) -> None:
    rows = [agreement.qrs_agreement(record, host_dir=host_build) for record in RECORDS]
    matched = sum(r.matched for r in rows)
    union = sum(r.n_python + r.n_c - r.matched for r in rows)
    assert sum(r.n_python for r in rows) > 20000  # the records really were read and detected
    assert matched / union >= AGREEMENT_TARGET, [(r.record, r.n_python, r.n_c, r.matched) for r in rows]


@pytest.fixture(scope="module")
def excerpt(mitdb: str) -> tuple[np.ndarray, float]:
    counts, fs = agreement.mitdb_counts("119")  # PVCs and search-backs: a detector with many decisions
    return counts[: int(90 * fs)], fs


@pytest.mark.data
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 500), min_size=1, max_size=6).filter(lambda c: any(c)))
def test_c_qrs_gives_the_same_beats_for_any_chunk_split(host_build: Path, excerpt: tuple[np.ndarray, float],
                                                        cuts: list[int]) -> None:
    counts, fs = excerpt
    whole = agreement.run_c_qrs(counts, fs=fs, cuts=[4096], host_dir=host_build)
    assert len(whole) > 80
    np.testing.assert_array_equal(agreement.run_c_qrs(counts, fs=fs, cuts=cuts, host_dir=host_build), whole)


def test_c_qrs_reports_no_beats_on_a_flat_line(host_build: Path) -> None:
    beats = agreement.run_c_qrs(np.full(20 * 360, 512, dtype=np.int16), fs=360.0, host_dir=host_build)
    assert beats.size == 0


def test_c_qrs_reports_no_beat_inside_a_clipped_stretch(host_build: Path, rng: np.random.Generator) -> None:
    fs = 250.0
    n = int(30 * fs)
    x = rng.normal(0.0, 3.0, n)
    for b in range(int(fs), n - int(fs), int(0.8 * fs)):
        x += 800.0 * np.exp(-0.5 * ((np.arange(n) - b) / (0.012 * fs)) ** 2)
    lo, hi = int(12 * fs), int(16 * fs)
    x[lo:hi] = x.max() + 500.0  # the amplifier saturates at a rail for 4 s
    beats = agreement.run_c_qrs(x.astype(np.int16), fs=fs, host_dir=host_build)
    assert not np.any((beats >= lo) & (beats < hi))
    assert np.sum(beats < lo) >= 10 and np.sum(beats >= hi) >= 10


def test_c_qrs_finds_every_spike_of_a_synthetic_train(host_build: Path, rng: np.random.Generator) -> None:
    fs = 250.0
    t = np.arange(int(30 * fs)) / fs
    beats_at = np.arange(int(fs), t.size - int(fs), int(0.8 * fs))  # 75 bpm
    x = rng.normal(0.0, 3.0, t.size)  # a few counts of noise: a real ECG is never flat
    for b in beats_at:
        x += 1000.0 * np.exp(-0.5 * ((np.arange(t.size) - b) / (0.012 * fs)) ** 2)
    found = agreement.run_c_qrs(x.astype(np.int16), fs=fs, host_dir=host_build)
    assert agreement.match_within(beats_at, found, tolerance=int(0.02 * fs)) >= len(beats_at) - 1
    assert len(found) <= len(beats_at)


def test_c_detector_parameters_are_up_to_date_with_python() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "firmware" / "tools" / "export_params.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
