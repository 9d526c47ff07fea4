"""The C rhythm features and exported AF model against the Python ones (rhythm/intervals.py, AfModel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cardiowatch.rhythm.model import load_af_model

from .conftest import agreement

#: AF, flutter and ectopy-rich mitdb records plus clean sinus; two long AF records of ltafdb.
MITDB = ["100", "119", "201", "202", "203", "210", "219", "221", "222"]
LTAFDB = ["00", "05"]
AGREEMENT_TARGET = 0.995


@pytest.mark.data
def test_c_af_decisions_equal_python_on_mitdb_and_ltafdb_windows(host_build: Path, mitdb: str,
                                                                 ltafdb: str) -> None:
    rows = [agreement.rhythm_agreement("mitdb", r, host_dir=host_build) for r in MITDB]
    rows += [agreement.rhythm_agreement("ltafdb", r, host_dir=host_build) for r in LTAFDB]
    n = sum(r.n_windows for r in rows)
    assert n > 100000  # the records were read and windowed
    assert sum(r.same_decision for r in rows) / n >= AGREEMENT_TARGET, rows


def test_c_rhythm_sees_af_in_irregular_intervals_and_none_in_sinus(host_build: Path,
                                                                   rng: np.random.Generator) -> None:
    fs = 250.0
    sinus = np.cumsum(np.round(fs * (0.8 + 0.02 * rng.standard_normal(300)))).astype(np.int64)
    model = load_af_model()
    for low_s, high_s, threshold, share in ((0.35, 1.1, model.score_threshold(0.4), 0.95),  # very irregular
                                            (0.45, 0.95, model.enter_score, 0.9)):  # typical AF
        af = sinus[-1] + np.cumsum(np.round(fs * rng.uniform(low_s, high_s, 300))).astype(np.int64)
        rows = agreement.run_c_rhythm(np.concatenate([sinus, af]), fs=fs, host_dir=host_build)
        score_sinus = rows[rows[:, 0] < sinus[-1], 1]
        score_af = rows[rows[:, 0] > af[40], 1]  # windows wholly inside the irregular stretch
        assert np.all(score_sinus < model.score_threshold(0.4))
        assert np.all(score_sinus < model.stay_score)  # sinus would not even keep AF going
        assert np.mean(score_af >= threshold) > share


def test_c_rhythm_skips_implausible_intervals(host_build: Path) -> None:
    fs = 100.0
    beats = np.arange(0, 40 * 80, 80)  # 0.8 s
    doubled = np.sort(np.concatenate([beats, beats[10:20] + 5]))  # 50 ms double detections
    # each double detection leaves one 50 ms interval (dropped) and one 0.75 s interval (kept)
    rows = agreement.run_c_rhythm(doubled, fs=fs, host_dir=host_build)
    assert len(rows) == len(beats) - 1 - 32 + 1
