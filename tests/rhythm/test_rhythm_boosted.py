"""Boosted AF trees (v4): LightGBM's trees in `AfModel`'s flat layout score exactly as LightGBM does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cardiowatch.rhythm.intervals import rr_window_features
from cardiowatch.rhythm.model import AfModel, load_af_model
from cardiowatch.rhythm.train import _strictly_below, boosted_to_model, fit_boosted

from rhythm_synthetic import af_rr, sinus_rr

pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def windows() -> tuple[np.ndarray, np.ndarray]:
    """Window features of synthetic sinus (at two rates) and AF, with their labels."""
    rng = np.random.default_rng(11)
    parts = [(sinus_rr(rng, 1500), False), (sinus_rr(rng, 1500, mean_s=0.6), False), (af_rr(rng, 1500), True),
             (af_rr(rng, 1500, low_s=0.35, high_s=1.05), True)]
    xs = [rr_window_features(rr, window=32) for rr, _ in parts]
    ys = [np.full(len(x), af) for x, (_, af) in zip(xs, parts)]
    return np.concatenate(xs), np.concatenate(ys)


@pytest.fixture(scope="module")
def booster_and_model(windows):
    x, y = windows
    booster = fit_boosted(x, y, params={"n_trees": 16, "min_data_in_leaf": 20})
    model = boosted_to_model(booster, threshold_af=0.9, threshold_af_exit=0.3, min_af_beats=20, min_exit_beats=64)
    return booster, model


def test_strictly_below_turns_lightgbms_less_or_equal_into_the_walkers_less_than() -> None:
    rng = np.random.default_rng(5)
    for t in np.r_[rng.normal(0, 3, 200), 0.5, -0.0, 1e-30, float(np.float32(0.7))]:
        f = _strictly_below(float(t))
        x = np.float32(t)
        for candidate in (np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf))):
            assert (candidate < f) == (float(candidate) <= t), (t, candidate, f)


def test_boosted_scores_equal_lightgbms_raw_scores(windows, booster_and_model) -> None:
    booster, model = booster_and_model
    x, _ = windows
    # every row once with a split feature exactly at its LightGBM threshold, the hardest case for "<="
    at_split = np.repeat(x[:1], len(model.feature), axis=0)
    at_split[np.arange(len(model.feature)), model.feature] = np.nextafter(model.threshold, np.float32(-np.inf))
    rows = np.r_[x, at_split].astype(np.float32)
    ours = model.af_score(rows)
    theirs = booster.predict(rows, raw_score=True)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)  # float32 sums of the same leaves
    assert model.n_trees == 16 and model.boosted and len(model.leaf_af) == 0


def test_boosted_decisions_use_log_odds_thresholds(windows, booster_and_model) -> None:
    _, model = booster_and_model
    x, y = windows
    assert model.enter_score == np.float32(np.log(0.9 / 0.1))
    assert model.stay_score == np.float32(np.log(0.3 / 0.7))
    score = model.af_score(x)
    prob = 1.0 / (1.0 + np.exp(-score.astype(np.float64)))  # the log-odds' probability
    clear = np.abs(prob.astype(np.float64) - 0.9) > 1e-6  # the logistic rounds; away from the edge, same side
    np.testing.assert_array_equal((score >= model.enter_score)[clear], (prob >= 0.9)[clear])
    assert ((score >= model.enter_score) == y).mean() > 0.95  # the synthetic classes separate
    with pytest.raises(ValueError, match="strictly between"):
        model.score_threshold(1.0)


def test_boosted_model_json_round_trip(tmp_path, booster_and_model, windows) -> None:
    _, model = booster_and_model
    again = AfModel.from_json(json.loads(model.save(tmp_path / "m.json").read_text()))
    assert again.boosted
    np.testing.assert_array_equal(again.leaf_value, model.leaf_value)
    np.testing.assert_array_equal(again.af_score(windows[0]), model.af_score(windows[0]))


def test_shipped_model_size_is_a_few_kilobytes() -> None:
    model = load_af_model()
    assert model.n_bytes < 8 * 1024
