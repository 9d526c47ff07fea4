"""Fixtures of the beat-classifier tests: generated records and a tiny generated model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthetic_beats import synthetic_ecg


@pytest.fixture
def ecg360(rng: np.random.Generator) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    fs = 360.0
    x, beats, ectopic = synthetic_ecg(rng, fs=fs)
    return fs, x, beats, ectopic


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory):
    """A small LightGBM beat model trained on generated records and exported like the real one."""
    pytest.importorskip("lightgbm")
    pytest.importorskip("onnxmltools")
    from cardiowatch.beats.features import ecg_beat_features
    from training.beats_train import MAIN_FEATURES, MODEL_CLASSES, export_onnx, fit_model
    from cardiowatch.beats.classifier import MODEL_FORMAT_VERSION
    from cardiowatch.beats.features import FEATURE_NAMES

    rng = np.random.default_rng(7)
    rows, labels = [], []
    for fs in (250.0, 360.0):
        for _ in range(3):
            x, beats, ectopic = synthetic_ecg(rng, fs=fs, premature_every=5)
            feats = ecg_beat_features(x, beats, fs=fs)
            rows.append(feats.features)
            rr = np.diff(beats, prepend=beats[0] - int(0.8 * fs)) / fs
            label = np.where(rr < 0.65, MODEL_CLASSES.index("S"), MODEL_CLASSES.index("N"))
            labels.append(np.where(ectopic, MODEL_CLASSES.index("V"), label))
    X = np.concatenate(rows).astype(np.float32)
    y = np.concatenate(labels)
    model = fit_model(X, y, n_jobs=1, params={"n_estimators": 20, "min_child_samples": 5})
    path = tmp_path_factory.mktemp("model") / "beat_classifier.onnx"
    classes = [MODEL_CLASSES[i] for i in model.classes_]
    meta = {"format_version": MODEL_FORMAT_VERSION, "classes": classes,
            "class_weights": [1.0] * len(classes), "feature_names": list(FEATURE_NAMES),
            "main_features": list(MAIN_FEATURES)}
    export_onnx(model, path, meta=meta)
    _TINY_LABELS[str(path)] = y
    return path, model, X


@pytest.fixture(scope="session")
def tiny_two_stage_model(tiny_model, tmp_path_factory: pytest.TempPathFactory):
    """The tiny model plus an SVEB stage (small LightGBM on RR timing) fitted on the same records."""
    from training.beats_train import SVEB_FEATURES, SVEB_PLAIN_FEATURES, export_sveb_onnx, fit_sveb_model

    path, model, X, y = tiny_model_data(tiny_model)
    folder = tmp_path_factory.mktemp("model2")
    sveb = fit_sveb_model(X, y, params={"min_child_samples": 5})
    export_sveb_onnx(sveb, folder / "beat_classifier_sveb.onnx")
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["sveb_stage"] = {"model": "beat_classifier_sveb.onnx", "features": list(SVEB_FEATURES),
                          "plain_features": list(SVEB_PLAIN_FEATURES), "threshold": 0.5}
    two = folder / "beat_classifier.onnx"
    two.write_bytes(path.read_bytes())
    two.with_suffix(".json").write_text(json.dumps(meta))
    return two, model, sveb, X


def tiny_model_data(tiny_model):
    """The tiny model's file, LightGBM model, feature rows and labels (labels kept beside the fixture)."""
    path, model, X = tiny_model
    return path, model, X, _TINY_LABELS[str(path)]


_TINY_LABELS: dict[str, np.ndarray] = {}
