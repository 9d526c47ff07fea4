"""ONNX beat classifier and its streaming stage, on generated records and a tiny generated model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch.beats.classifier import (
    BeatClassifier,
    BeatClassifierStage,
    ecg_classify_beats,
    sidecar_path,
)
from cardiowatch.errors import ModelError

from synthetic_beats import synthetic_ecg


def test_onnx_probabilities_agree_with_lightgbm_on_the_main_features(tiny_model):
    from training.beats_train import main_columns

    path, model, X = tiny_model
    clf = BeatClassifier(path)
    np.testing.assert_allclose(clf.predict_proba(X[:50]), model.predict_proba(X[:50][:, main_columns()]), atol=1e-5)


def test_stage_labels_early_wide_beats_v_and_normal_beats_n(tiny_model, rng):
    path, _, _ = tiny_model
    fs = 300.0  # a rate the tiny model never saw
    x, beats, ectopic = synthetic_ecg(rng, fs=fs)
    out = ecg_classify_beats(x, beats, fs=fs, classifier=BeatClassifier(path))
    labels = np.array([b.aami for b in out])
    assert [b.sample for b in out] == beats.tolist()
    assert np.mean(labels[ectopic] == "V") > 0.9
    assert np.mean(labels[~ectopic] == "N") > 0.9


def _stream(stage: BeatClassifierStage, x: np.ndarray, beats: np.ndarray, cuts: list[int]) -> list:
    """Feed ``x`` and its beats to ``stage`` in chunks of the sizes ``cuts`` (then the rest), and flush."""
    got, start = [], 0
    for size in cuts + [len(x)]:
        stop = min(start + size, len(x))
        got += stage.process(x[start:stop], beats[(beats >= start) & (beats < stop)])
        start = stop
        if start >= len(x):
            break
    return got + stage.flush()


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(0, 700), max_size=30))
def test_stage_output_does_not_depend_on_chunking(tiny_model, cuts):
    path, _, _ = tiny_model
    fs = 250.0
    x, beats, _ = synthetic_ecg(np.random.default_rng(5), fs=fs, n_beats=20)
    clf = BeatClassifier(path)
    whole = ecg_classify_beats(x, beats, fs=fs, classifier=clf)
    got = _stream(BeatClassifierStage(fs=fs, classifier=clf), x, beats, cuts)
    assert [(b.sample, b.aami) for b in got] == [(b.sample, b.aami) for b in whole]
    np.testing.assert_allclose([b.prob for b in got], [b.prob for b in whole], atol=1e-6)


def test_beats_in_nan_stretches_are_labelled_q_with_nan_probabilities(tiny_model, rng):
    path, _, _ = tiny_model
    fs = 360.0
    x, beats, _ = synthetic_ecg(rng, fs=fs)
    x[beats[15] - 20: beats[15] + 20] = np.nan
    out = ecg_classify_beats(x, beats, fs=fs, classifier=BeatClassifier(path))
    assert out[15].aami == "Q" and np.all(np.isnan(out[15].prob))
    assert all(b.aami != "Q" for i, b in enumerate(out) if abs(i - 15) > 1)


def test_missing_model_file_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        BeatClassifier(tmp_path / "absent.onnx")


def test_corrupt_model_file_raises_model_error(tiny_model, tmp_path):
    path, _, _ = tiny_model
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    sidecar_path(bad).write_text(sidecar_path(path).read_text())
    with pytest.raises(ModelError, match="cannot load"):
        BeatClassifier(bad)


def test_sidecar_for_other_features_raises_model_error(tiny_model, tmp_path):
    path, _, _ = tiny_model
    other = tmp_path / "other.onnx"
    other.write_bytes(path.read_bytes())
    meta = json.loads(sidecar_path(path).read_text())
    meta["feature_names"] = meta["feature_names"][:-1]
    sidecar_path(other).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="other features"):
        BeatClassifier(other)


def test_features_of_wrong_width_are_rejected(tiny_model):
    path, _, _ = tiny_model
    with pytest.raises(ValueError, match="shape"):
        BeatClassifier(path).predict_proba(np.zeros((3, 5)))


def test_shipped_model_loads_and_matches_the_feature_code():
    clf = BeatClassifier()  # models/beat_classifier.onnx and its sidecar, from the repository
    assert clf.classes == ("N", "S", "V", "F")
    assert clf.sveb_threshold is not None  # v2 on: the SVEB stage ships beside the main model
    fs = 360.0
    x, beats, ectopic = synthetic_ecg(np.random.default_rng(11), fs=fs, n_beats=40)
    out = ecg_classify_beats(x, beats, fs=fs, classifier=clf)
    assert len(out) == len(beats)
    probs = np.array([b.prob for b in out])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_sveb_stage_onnx_agrees_with_lightgbm_and_labels_premature_narrow_beats_s(tiny_two_stage_model, rng):
    from training.beats_train import sveb_inputs

    path, _, sveb, X = tiny_two_stage_model
    clf = BeatClassifier(path)
    ok = np.all(np.isfinite(X), axis=1)
    np.testing.assert_allclose(clf.predict_sveb(X[ok][:50]), sveb.predict_proba(sveb_inputs(X[ok][:50]))[:, 1],
                               atol=1e-5)
    fs = 300.0  # a rate the tiny models never saw
    x, beats, ectopic = synthetic_ecg(rng, fs=fs, premature_every=5)
    out = ecg_classify_beats(x, beats, fs=fs, classifier=clf)
    labels = np.array([b.aami for b in out])
    rr = np.diff(beats, prepend=beats[0] - int(0.8 * fs)) / fs
    premature = (rr < 0.65) & ~ectopic
    assert premature.sum() >= 5
    assert np.mean(labels[premature] == "S") > 0.8
    assert np.mean(labels[~premature & ~ectopic] == "N") > 0.9
    assert np.mean(labels[ectopic] == "V") > 0.9  # the SVEB stage never touches V calls


def test_two_stage_decision_matches_the_training_rule(tiny_two_stage_model):
    from training.beats_train import MODEL_CLASSES, combined_labels

    path, _, _, X = tiny_two_stage_model
    clf = BeatClassifier(path)
    x = X[np.all(np.isfinite(X), axis=1)]
    prob, sveb = clf.predict_proba(x), clf.predict_sveb(x)
    want = np.asarray(MODEL_CLASSES)[combined_labels(prob, clf.class_weights, sveb, clf.sveb_threshold)]
    assert clf.predict(x).tolist() == want.tolist()
    assert set(want) >= {"N", "S", "V"}


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(0, 700), max_size=30))
def test_two_stage_output_does_not_depend_on_chunking(tiny_two_stage_model, cuts):
    path, _, _, _ = tiny_two_stage_model
    fs = 250.0
    x, beats, _ = synthetic_ecg(np.random.default_rng(6), fs=fs, n_beats=25, premature_every=5)
    clf = BeatClassifier(path)
    whole = ecg_classify_beats(x, beats, fs=fs, classifier=clf)
    got = _stream(BeatClassifierStage(fs=fs, classifier=clf), x, beats, cuts)
    assert [(b.sample, b.aami) for b in got] == [(b.sample, b.aami) for b in whole]
    assert "S" in [b.aami for b in whole]


def test_missing_sveb_stage_file_raises_model_error(tiny_two_stage_model, tmp_path):
    path, _, _, _ = tiny_two_stage_model
    lone = tmp_path / "lone.onnx"
    lone.write_bytes(path.read_bytes())
    sidecar_path(lone).write_text(sidecar_path(path).read_text())
    with pytest.raises(ModelError, match="SVEB stage model not found"):
        BeatClassifier(lone)
