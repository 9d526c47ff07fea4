"""Interval flags, irregularity features, HRV and the summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cardiowatch.errors import SignalError
from cardiowatch.rhythm.hrv import hrv_time
from cardiowatch.rhythm.intervals import FEATURE_NAMES, rr_intervals, rr_window_features
from cardiowatch.rhythm.summary import analyze_rhythm, rhythm_summary

from rhythm_synthetic import FS, af_rr, beats_from_rr, sinus_rr


def test_rr_intervals_flags_implausible_and_unknown_intervals() -> None:
    rr, ok = rr_intervals(np.array([0, 128, 150, 278, 790]), fs=FS)
    np.testing.assert_allclose(rr[1:], [1.0, 22 / FS, 1.0, 4.0])
    assert ok.tolist() == [False, True, False, True, False]


def test_rr_intervals_continues_from_the_previous_beat() -> None:
    rr, ok = rr_intervals(np.array([228]), fs=FS, previous=100)
    assert rr.tolist() == [1.0] and ok.tolist() == [True]


def test_rr_intervals_rejects_bad_arguments() -> None:
    with pytest.raises(SignalError):
        rr_intervals(np.zeros((2, 2)), fs=FS)
    with pytest.raises(SignalError):
        rr_intervals(np.arange(3), fs=-1)


def test_window_features_separate_af_from_sinus_with_ectopy(rng) -> None:
    sinus = sinus_rr(rng, 300)
    sinus[::20] *= 0.6  # premature beats ...
    sinus[1::20] *= 1.4  # ... with compensatory pauses
    f_sinus = rr_window_features(sinus, window=32)
    f_af = rr_window_features(af_rr(rng, 300), window=32)
    nmad = FEATURE_NAMES.index("nmad_d")
    near = FEATURE_NAMES.index("near_median")
    assert f_sinus[:, nmad].max() < f_af[:, nmad].min()
    assert f_sinus[:, near].min() > f_af[:, near].max()


def test_poincare_cells_separate_af_from_sinus_with_frequent_premature_beats(rng) -> None:
    # 30 % premature atrial beats at random: most windows look like AF to nmad_d, few to the map's cells
    sinus = sinus_rr(rng, 600)
    rr = sinus.copy()
    premature = np.flatnonzero(rng.random(599) < 0.3)
    premature = premature[np.r_[True, np.diff(premature) > 1]]  # no two in a row
    rr[premature] *= 0.65
    rr[premature + 1] *= 1.3
    f_sinus = rr_window_features(rr, window=32)
    f_af = rr_window_features(af_rr(rng, 600), window=32)
    cells, nmad = FEATURE_NAMES.index("poincare_cells"), FEATURE_NAMES.index("nmad_d")

    def share_like_af(k: int) -> float:  # sinus windows at or above AF's 1st percentile
        return float(np.mean(f_sinus[:, k] >= np.percentile(f_af[:, k], 1)))

    assert share_like_af(nmad) > 0.5
    assert share_like_af(cells) < 0.02
    regular = rr_window_features(np.full(40, 0.8), window=32)[:, cells]
    np.testing.assert_allclose(regular, 1 / 31)  # one occupied cell over 31 pairs


def test_a_missed_beat_counts_as_one_median_interval(rng) -> None:
    sinus = sinus_rr(rng, 200)
    missed = sinus.copy()
    missed[50] += missed[51]  # beat 51 lost: one interval of about twice the others
    missed = np.delete(missed, 51)
    f, f_missed = rr_window_features(sinus, window=32), rr_window_features(missed, window=32)
    nrmssd, cv = FEATURE_NAMES.index("nrmssd"), FEATURE_NAMES.index("cv")
    # windows holding the long interval stay as regular as sinus, not as irregular as an unhandled gap
    holding = f_missed[19:51]
    assert holding[:, nrmssd].max() < 1.5 * f[:, nrmssd].max()
    assert holding[:, cv].max() < 1.5 * f[:, cv].max()
    premature = sinus.copy()
    premature[50] *= 1.5  # a long interval that is not twice the median is left as it is
    assert rr_window_features(premature, window=32)[19:51, cv].min() > 1.5 * f[:, cv].max()


def test_window_features_shape_and_short_input() -> None:
    assert rr_window_features(np.full(40, 0.8), window=32).shape == (9, len(FEATURE_NAMES))
    assert rr_window_features(np.full(10, 0.8), window=32).shape == (0, len(FEATURE_NAMES))
    with pytest.raises(ValueError):
        rr_window_features(np.full(40, 0.8), window=8)


def test_hrv_time_matches_hand_computed_values() -> None:
    beats = np.cumsum(np.tile([128, 141], 100))  # 1.000 s and 1.1016 s alternating
    h = hrv_time(beats, fs=FS)
    step_ms = 13 / FS * 1000
    assert h.rmssd_ms == pytest.approx(step_ms)
    assert h.pnn50_pct == pytest.approx(100.0)
    assert h.n_intervals == 199


def test_hrv_time_skips_intervals_around_ectopic_beats() -> None:
    beats = np.cumsum(np.full(100, 128))
    labels = np.full(100, "N", dtype=object)
    labels[50] = "V"
    h = hrv_time(beats, fs=FS, label=labels)
    assert h.n_intervals == 97
    assert h.rmssd_ms == pytest.approx(0.0)


def test_hrv_time_of_too_few_beats_is_nan() -> None:
    assert math.isnan(hrv_time(np.array([0, 128]), fs=FS).sdnn_ms)


def test_summary_reports_burden_ectopy_and_longest_pause(rng) -> None:
    rr = np.r_[sinus_rr(rng, 600), af_rr(rng, 600)]
    rr[300] = 2.6
    beats = beats_from_rr(rr)
    labels = np.full(len(beats), "N", dtype=object)
    labels[[100, 200, 250]] = "V"
    labels[400] = "S"
    summary = rhythm_summary(analyze_rhythm(beats, fs=FS, label=labels))
    af_share = 100 * rr[600:].sum() / rr[1:].sum()
    # the episode may start up to 40 beats late (below): about 3.3 % of this record's time
    assert summary.af_burden_pct == pytest.approx(af_share, abs=3.5)
    (af,) = [e for e in summary.episodes if e.rhythm == "AFIB"]
    # the burden is the AF episode's share of the time, the episode dated back to near the true onset
    assert summary.af_burden_pct == pytest.approx(100 * af.duration_s / summary.duration_s)
    assert beats[600] <= af.start_sample <= beats[640] and af.end_sample == beats[-1]
    assert summary.longest_pause_s == pytest.approx(2.6, abs=0.01)
    hours = (beats[-1] - beats[0]) / FS / 3600
    assert summary.ectopic_per_hour == pytest.approx(4 / hours)
    assert [e.kind for e in summary.events] == ["PAUSE"]
    assert [e.rhythm for e in summary.episodes] == ["AFIB"]


def test_summary_without_beat_classes_has_no_ectopy_rate(rng) -> None:
    summary = rhythm_summary(analyze_rhythm(beats_from_rr(sinus_rr(rng, 200)), fs=FS))
    assert math.isnan(summary.ectopic_per_hour)
    assert summary.mean_hr_bpm == pytest.approx(75, abs=1)
