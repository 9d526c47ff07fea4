"""Beat features: finite on clean input, chunk-invariant, causal, and honest about bad samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.beats.features import (
    FEATURE_NAMES,
    N_FEATURES,
    BeatFeatures,
    EcgBeatFeatureStage,
    ecg_beat_features,
)
from cardiowatch.errors import SignalError

from synthetic_beats import synthetic_ecg

_PRE_OVER_LOCAL = FEATURE_NAMES.index("pre_over_local")
_CORR = FEATURE_NAMES.index("template_corr")
_IRREGULARITY = FEATURE_NAMES.index("rr_irregularity")


def _run_chunked(x: np.ndarray, beats: np.ndarray, cuts: list[int], *, fs: float) -> BeatFeatures:
    """Feed ``x`` in pieces of the given sizes; each beat goes with the chunk that contains it."""
    stage = EcgBeatFeatureStage(fs=fs)
    parts, start = [], 0
    for size in cuts + [len(x)]:
        stop = min(start + size, len(x))
        given = beats[(beats >= start) & (beats < stop)]
        parts.append(stage.process(x[start:stop], given))
        start = stop
        if start >= len(x):
            break
    parts.append(stage.flush())
    return BeatFeatures.concat(parts)


@pytest.mark.parametrize("fs", [128.0, 250.0, 360.0, 500.0])
def test_features_are_finite_with_one_row_per_beat_at_any_rate(rng, fs):
    x, beats, _ = synthetic_ecg(rng, fs=fs)
    feats = ecg_beat_features(x, beats, fs=fs)
    assert feats.features.shape == (len(beats), N_FEATURES)
    assert np.array_equal(feats.sample, beats)
    assert np.all(np.isfinite(feats.features))


def test_features_separate_early_wide_beats_from_normal_ones(ecg360):
    fs, x, beats, ectopic = ecg360
    f = ecg_beat_features(x, beats, fs=fs).features
    assert f[ectopic, _PRE_OVER_LOCAL].max() < 0.75 < f[~ectopic, _PRE_OVER_LOCAL][5:].min()
    assert f[ectopic, _CORR].max() < 0.5 < f[~ectopic, _CORR][5:].min()


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 500), max_size=40))
def test_stage_output_does_not_depend_on_chunking(cuts):
    fs = 250.0
    x, beats, _ = synthetic_ecg(np.random.default_rng(3), fs=fs, n_beats=25)
    whole = ecg_beat_features(x, beats, fs=fs)
    chunked = _run_chunked(x, beats, cuts, fs=fs)
    assert np.array_equal(chunked.sample, whole.sample)
    np.testing.assert_allclose(chunked.features, whole.features, rtol=1e-9, atol=1e-9)


def test_rr_irregularity_is_low_in_a_regular_rhythm_and_high_in_an_irregular_one(rng):
    fs = 250.0
    x, beats, _ = synthetic_ecg(rng, fs=fs, ectopic_every=1000)  # sinus-like: RR 0.80 +- 0.02 s
    regular = ecg_beat_features(x, beats, fs=fs).features[10:, _IRREGULARITY]
    jumbled = 0.5 + np.concatenate([[0], np.cumsum(rng.uniform(0.45, 1.15, len(beats) - 1))])
    t = np.arange(int((jumbled[-1] + 1.0) * fs)) / fs
    y = sum(np.exp(-0.5 * ((t - tb) / 0.010) ** 2) for tb in jumbled)  # AF-like: narrow beats, random RR
    irregular = ecg_beat_features(y, np.round(jumbled * fs).astype(np.int64), fs=fs).features[10:, _IRREGULARITY]
    assert regular.max() < 0.06
    assert irregular.min() > 0.15


def test_a_beat_is_final_only_once_the_next_beat_is_known(ecg360):
    fs, x, beats, _ = ecg360
    stage = EcgBeatFeatureStage(fs=fs)
    out = stage.process(x[: beats[3] + int(fs)], beats[:4])
    assert out.sample.tolist() == beats[:3].tolist()  # beat 3 waits for beat 4
    later = stage.process(x[beats[3] + int(fs):], beats[4:])
    assert later.sample[0] == beats[3]


def test_features_do_not_look_past_the_next_beat(ecg360):
    """Causality: changing the signal after beat k+1's window leaves beat k's features unchanged."""
    fs, x, beats, _ = ecg360
    k = 20
    y = x.copy()
    y[beats[k + 2]:] += np.random.default_rng(1).normal(0, 0.5, len(y) - beats[k + 2])
    a = ecg_beat_features(x, beats, fs=fs).features[: k + 1]
    b = ecg_beat_features(y, beats, fs=fs).features[: k + 1]
    np.testing.assert_array_equal(a, b)


def test_nan_samples_give_nan_features_for_the_beats_they_touch_only(ecg360):
    fs, x, beats, _ = ecg360
    y = x.copy()
    y[beats[10] - 5: beats[10] + 5] = np.nan
    f = ecg_beat_features(y, beats, fs=fs).features
    bad = ~np.all(np.isfinite(f), axis=1)
    assert bad[10]
    assert not bad[:9].any() and not bad[12:].any()


def test_empty_chunks_and_no_beats_are_fine(ecg360):
    fs, x, _, _ = ecg360
    stage = EcgBeatFeatureStage(fs=fs)
    assert len(stage.process(np.zeros(0))) == 0
    assert len(stage.process(x)) == 0
    assert len(stage.flush()) == 0


def test_beats_out_of_order_or_beyond_the_signal_are_rejected(ecg360):
    fs, x, beats, _ = ecg360
    stage = EcgBeatFeatureStage(fs=fs)
    with pytest.raises(SignalError):
        stage.process(x[:1000], [500, 400])
    stage.reset()
    with pytest.raises(SignalError):
        stage.process(x[:1000], [2000])


def test_unknown_sampling_rate_is_rejected():
    with pytest.raises(SignalError):
        EcgBeatFeatureStage(fs=float("nan"))
