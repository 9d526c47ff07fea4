"""The C PPG quality stage (firmware/core/cw_ppg_quality.c) against the Python reference (signal/ppg_quality.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import agreement

AGREEMENT_TARGET = 0.995
MISSING = -32768  # the CLI's "no sample" (Python's NaN)


@pytest.mark.data
def test_c_ppg_quality_labels_match_python_on_every_bidmc_record(host_build: Path, bidmc: str) -> None:
    from cardiowatch.data import list_records

    records = list_records("bidmc")
    rows = [agreement.ppg_quality_agreement(record, host_dir=host_build) for record in records]
    n = sum(r.n_windows for r in rows)
    same = sum(r.same for r in rows)
    artefacts = sum(k for r in rows for (py, _), k in r.confusion.items() if py != "good")
    assert len(records) == 53
    assert n > 12000  # 53 records of 8 min in 2 s windows
    assert artefacts > 100  # the check also covers windows that are not good, not just a sea of 'good'
    assert same / n >= AGREEMENT_TARGET, [(r.record, r.n_windows, r.same) for r in rows if r.same < r.n_windows]


def _every_artefact(fs: float, rng: np.random.Generator) -> np.ndarray:
    """60 s of pulses with 2-4 s stretches of each artefact, as int16 counts (-32768 = no sample)."""
    n = int(60 * fs)
    t = np.arange(n) / fs
    phase = 2 * np.pi * 1.2 * t
    x = 2000 + 300 * (np.sin(phase) + 0.35 * np.sin(2 * phase - 1.0)) + rng.normal(0.0, 2.0, n)

    def span(a: float, b: float) -> slice:
        return slice(int(a * fs), int(b * fs))

    x[span(8, 12)] = 2000.0  # finger lifted: flat
    x[span(16, 18)] = np.minimum(x[span(16, 18)], 2150.0)  # saturated peaks: clipped
    x[span(22, 24)] = 2000 + 5 * (x[span(22, 24)] - 2000)  # shaken: motion
    x[span(28, 32)] = 2000 + 0.1 * (x[span(28, 32)] - 2000)  # cold finger: low perfusion
    x[span(36, 38)] += 3000.0  # pressed harder: baseline jump
    lossy = x[span(42, 44)]
    lossy[np.arange(len(lossy)) % 3 != 0] = np.nan  # a third of the samples arrive... then none at all
    x[span(46, 48)] = np.nan
    return np.where(np.isnan(x), MISSING, np.round(x)).astype(np.int16)


def _python_labels(counts: np.ndarray, fs: float) -> list[tuple[int, str]]:
    x = np.where(counts == MISSING, np.nan, counts.astype(np.float64))
    return agreement.python_quality_windows(x, fs=fs)


@pytest.mark.parametrize("fs", [100.0, 125.0])
def test_c_ppg_quality_equals_python_on_every_label(host_build: Path, rng: np.random.Generator, fs: float) -> None:
    counts = _every_artefact(fs, rng)
    py = _python_labels(counts, fs)
    c = [(start, label) for start, _, label in agreement.run_c_quality(counts, fs=fs, host_dir=host_build)]
    assert {label for _, label in py} == {"good", "low_perfusion", "motion", "clipped", "flat", "missing"}
    assert c == py


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 600), min_size=1, max_size=6).filter(lambda c: any(c)),
       trim=st.integers(0, 300))
def test_c_ppg_quality_gives_the_same_windows_for_any_chunk_split(host_build: Path, cuts: list[int],
                                                                   trim: int) -> None:
    counts = _every_artefact(100.0, np.random.default_rng(7))[: 6000 - trim]
    whole = agreement.run_c_quality(counts, fs=100.0, cuts=[4096], host_dir=host_build)
    assert len(whole) >= 29
    assert agreement.run_c_quality(counts, fs=100.0, cuts=cuts, host_dir=host_build) == whole
