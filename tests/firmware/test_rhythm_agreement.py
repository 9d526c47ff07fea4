"""The C rhythm features, exported AF model and AF state against the Python ones (rhythm/intervals.py, AfModel,
RhythmTracker)."""

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
#: ltafdb records for the device's AF state: paroxysmal AF (00 03 100 101 121), long AF (111 56), little AF (05);
#: in 121 the rate after AF hovers near 50 bpm, where N and SBR candidates alternate (both count towards
#: leaving AF, as every non-AF window does on the device).
LTAFDB_STATE = ["00", "03", "05", "100", "101", "111", "121", "56"]


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


@pytest.mark.data
def test_device_af_state_follows_the_tracker_on_ltafdb(host_build: Path, ltafdb: str) -> None:
    """cw_rhythm_in_af beat by beat against RhythmTracker's per-beat AF (intervals only).

    Measured on these 8 records (all 84: `agreement.py rhythm-state`, docs/benchmarks.md): 99.78 % of beats
    as the tracker knew them (worst 121 97.93 %), 98.00 % as it dates them back, burden |difference| median
    0.16 / largest 2.17 points, Se 91.66 / Sp 98.15 % (device) vs 94.23 / 99.45 % (tracker). A device
    without the run lengths (20 / 64 windows) gives 96.6 % (as known) and a largest burden difference of
    4.9 points, without the hysteresis 97.7 % and Se 11 points below the tracker's, one that never leaves
    AF 53 %, one that enters AF on the first window 96.5 % and Sp 4.3 points below.
    """
    rows = [agreement.rhythm_state_agreement("ltafdb", r, host_dir=host_build) for r in LTAFDB_STATE]
    s = agreement.summarize_rhythm_state(rows)
    assert s.n_beats > 700000 and sum(r.ref_af for r in rows) > 100000  # the records were read, with AF
    assert s.same_known >= 0.993, s
    assert s.worst_known[1] >= 0.965, s
    assert s.same_tracker >= 0.97, s
    assert s.device_only_known <= 0.001 * s.n_beats, s  # the device is not in AF where the tracker was not
    assert s.median_burden_diff_pct <= 1.0, s
    assert s.max_burden_diff[1] <= 4.0, s
    assert abs(s.device_se - s.tracker_se) <= 0.05, s
    assert abs(s.device_sp - s.tracker_sp) <= 0.03, s


@pytest.mark.data
def test_device_af_state_is_one_per_beat_and_the_tracker_side_counts_as_score_record(host_build: Path,
                                                                                    ltafdb: str) -> None:
    """``cw_rhythm_cli --states`` gives one state per beat, and the tracker side of the comparison counts the
    beats exactly as `score_record` scores them."""
    from cardiowatch.evaluate.rhythm import load_beat_record, score_record

    rec = load_beat_record("ltafdb", "00")
    in_af = agreement.run_c_rhythm_state(rec.sample, fs=rec.fs, host_dir=host_build)
    assert len(in_af) == len(rec.sample) and in_af.any() and not in_af.all()
    row = agreement.rhythm_state_agreement("ltafdb", "00", host_dir=host_build)
    ref = score_record(rec, model=load_af_model(), use_labels=False)
    assert (row.tracker_tp, row.tracker_tn, row.ref_af) == (ref.tp, ref.tn, ref.tp + ref.fn)
