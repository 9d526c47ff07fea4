"""The streaming paths (a chunk's few beats and windows, the HRV window) give the batch paths' numbers bit for bit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from cardiowatch.rhythm import model as model_module
from cardiowatch.rhythm import tracker as tracker_module
from cardiowatch.rhythm.hrv import HrvWindow, hrv_time
from cardiowatch.rhythm.intervals import (
    FEATURE_NAMES,
    NEAR_MEDIAN_FRACTION,
    PNN50_S,
    local_rate_bpm,
    rr_intervals,
    rr_window_features,
)
from cardiowatch.rhythm.model import load_af_model
from cardiowatch.rhythm.tracker import RhythmTracker

from rhythm_synthetic import FS, af_rr, beats_from_rr, sinus_rr


@pytest.fixture
def mixed_rr(rng: np.random.Generator) -> np.ndarray:
    """Sinus, AF, bigeminy-like alternation, a flat stretch and missed beats (twice the interval)."""
    missed = sinus_rr(rng, 80)
    missed[::9] *= 2.0
    return np.r_[sinus_rr(rng, 150), af_rr(rng, 150), np.tile([0.5, 1.0], 40), np.full(40, 0.8), missed]


def test_one_window_at_a_time_gives_the_rows_of_the_whole_table(mixed_rr) -> None:
    w = load_af_model().window
    table, rates = rr_window_features(mixed_rr, window=w), local_rate_bpm(mixed_rr, window=w)
    for i in range(len(table)):
        assert rr_window_features(mixed_rr[i:i + w], window=w).tobytes() == table[i:i + 1].tobytes()
        assert local_rate_bpm(mixed_rr[i:i + w], window=w).tobytes() == rates[i:i + 1].tobytes()
    for i in range(0, len(table) - 3, 5):  # two or three windows at once, as some chunks add
        assert rr_window_features(mixed_rr[i:i + w + 2], window=w).tobytes() == table[i:i + 3].tobytes()


def test_window_features_spell_out_numpys_mean_and_std(mixed_rr) -> None:
    w = 32
    f = rr_window_features(mixed_rr, window=w)
    def median(a: np.ndarray) -> np.ndarray:  # the features' quantile rule, halfway between the middle two
        s = np.sort(a, axis=1)
        return s[:, w // 2 - 1] + (s[:, w // 2] - s[:, w // 2 - 1]) * 0.5

    raw = sliding_window_view(mixed_rr, w)
    raw_med = median(raw)[:, None]
    x = np.where(np.abs(raw / raw_med - 2.0) < 0.2, raw_med, raw)  # a missed beat: one median interval
    med = median(x)
    d = np.diff(x, axis=1)
    want = {
        "nrmssd": np.sqrt(np.mean(d**2, axis=1)) / x.mean(axis=1),
        "tpr": (d[:, 1:] * d[:, :-1] < 0).mean(axis=1),
        "cv": x.std(axis=1) / x.mean(axis=1),
        "hr_bpm": 60.0 / x.mean(axis=1),
        "pnn50": (np.abs(d) > PNN50_S).mean(axis=1),
        "near_median": (np.abs(x - med[:, None]) < NEAR_MEDIAN_FRACTION * med[:, None]).mean(axis=1),
    }
    for name, column in want.items():
        assert f[:, FEATURE_NAMES.index(name)].tobytes() == column.astype(np.float32).tobytes(), name
    lo = (w - 8) // 2  # the rate: the median of the 8 central intervals, as they came (no repair)
    assert local_rate_bpm(mixed_rr, window=w).tobytes() == (60.0 / np.median(raw[:, lo:lo + 8], axis=1)).tobytes()


def test_the_forest_walked_row_by_row_gives_the_vectorised_scores(mixed_rr, monkeypatch) -> None:
    model = load_af_model()
    features = rr_window_features(mixed_rr, window=model.window)
    features[::17, 3] = np.nan  # a NaN feature goes right, as in C
    one_by_one = np.concatenate([model.af_score(features[i:i + 1]) for i in range(len(features))])
    monkeypatch.setattr(model_module, "_FEW_ROWS", 0)
    assert one_by_one.dtype == np.float32
    assert one_by_one.tobytes() == model.af_score(features).tobytes()
    assert model.af_score(features[:3]).tobytes() == one_by_one[:3].tobytes()


@pytest.mark.parametrize("hysteresis", [True, False])
def test_a_chunks_few_beats_get_the_candidates_the_vectorised_rule_gives(rng, monkeypatch, hysteresis) -> None:
    model = load_af_model()
    if not hysteresis:
        model = dataclasses.replace(model, threshold_af_exit=None)
    tracker = RhythmTracker(fs=FS, model=model)
    tracker.reset()
    n_checked = 0
    for _ in range(400):
        n = int(rng.integers(1, 9))
        length = tracker_module._CONTEXT + n + int(rng.integers(0, 20)) + tracker_module._CONTEXT
        ctx = rng.random(length) < rng.choice([0.1, 0.5, 0.9])
        rr_ctx = np.where(rng.random(length) < 0.15, np.nan, rng.uniform(0.25, 1.5, length))
        score = rng.choice(np.r_[model.enter_score, model.stay_score, rng.random(8)].astype(np.float32), n)
        score[rng.random(n) < 0.1] = tracker_module._NO_SCORE
        rate = np.where(rng.random(n) < 0.1, np.nan, rng.choice([50.0, 100.0, 45.0, 70.0, 130.0], n))
        few = tracker._candidates(ctx, rr_ctx, n, score, rate)
        monkeypatch.setattr(tracker_module, "_FEW_BEATS", 0)
        batch = tracker._candidates(ctx, rr_ctx, n, score, rate)
        monkeypatch.undo()
        assert few[0].tolist() == batch[0].tolist() and few[1].tolist() == batch[1].tolist()
        n_checked += n
    assert n_checked > 1000


def _hrv_reference(sample: np.ndarray, label: np.ndarray) -> tuple:
    """hrv_time with numpy's own mean and std."""
    rr, nn = rr_intervals(sample, fs=FS)
    normal = (label == "N") | (label == "")
    nn &= normal & np.r_[False, normal[:-1]]
    nn_ms = rr[nn] * 1000.0
    diff_ms = np.diff(rr * 1000.0)[nn[1:] & nn[:-1]]
    if len(nn_ms) < 2:
        return (math.nan,) * 4 + (len(nn_ms),)
    return (float(nn_ms.mean()), float(nn_ms.std(ddof=1)),
            float(np.sqrt(np.mean(diff_ms**2))) if len(diff_ms) else math.nan,
            float(100.0 * np.mean(np.abs(diff_ms) > 50.0)) if len(diff_ms) else math.nan, len(nn_ms))


def test_the_hrv_window_equals_hrv_time_of_its_beats(rng) -> None:
    rr = np.r_[sinus_rr(rng, 500), af_rr(rng, 400), sinus_rr(rng, 300)]
    rr[rng.random(len(rr)) < 0.02] = 0.1  # implausible intervals
    beats = beats_from_rr(rr)
    labels = rng.choice(np.array(["N", "N", "N", "V", "S", "Q"], dtype=object), len(beats))
    window_s = 120.0
    hrv = HrvWindow(fs=FS, window_s=window_s)
    kept_s, kept_l = beats[:0], labels[:0]
    i = 0
    while i < len(beats):
        j = min(i + int(rng.integers(1, 6)), len(beats))
        if rng.random() < 0.01:  # a gap: the window starts afresh
            hrv.clear()
            kept_s, kept_l = beats[:0], labels[:0]
        got = hrv.add(beats[i:j], labels[i:j])
        kept_s, kept_l = np.r_[kept_s, beats[i:j]], np.r_[kept_l, labels[i:j]]
        first = int(np.searchsorted(kept_s, kept_s[-1] - window_s * FS, side="left"))
        kept_s, kept_l = kept_s[first:], kept_l[first:]
        want = hrv_time(kept_s, fs=FS, label=kept_l)
        assert repr(got) == repr(want)
        assert repr(dataclasses.astuple(want)) == repr(_hrv_reference(kept_s, kept_l))
        i = j
