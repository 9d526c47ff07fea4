"""DS1 patient-wise cross-validation of the SVEB-stage options (the table in models/beat_classifier.md).

Usage::

    nice -n 10 .venv/bin/python benchmarks/beat_sveb_options.py [--cache /tmp/ds1_features.npz]

Reads DS1 only (never DS2). Every option is an S-vs-N model fitted on the N and S beats of the training
folds (the same record-grouped folds as `cardiowatch train`) and scored out of fold among the N and S
beats: F1(S), Se, +P at the threshold that maximises F1(S) on those out-of-fold probabilities. The
chosen option is the one `cardiowatch.beats.train` ships; its combined (two-stage) CV figures are in the
model's sidecar json. ``--cache`` keeps the DS1 feature matrix between runs (built once, ~3 min).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from cardiowatch.beats.classifier import sveb_stage_inputs
from cardiowatch.beats.features import FEATURE_NAMES
from cardiowatch.beats.train import (
    MODEL_CLASSES, SEED, SVEB_FEATURES, BeatDataset, build_dataset, record_folds,
)
from cardiowatch.data import MITDB_DS1

logger = logging.getLogger("beat_sveb_options")
P_WAVE = ("p_corr",)
SHAPE = ("p_corr", "template_corr", "qrs_corr", "residual_rms", "amplitude_ratio", "qrs_width_s")
THRESHOLDS = np.linspace(0.05, 0.99, 95)


def load(cache: Path | None) -> BeatDataset:
    if cache is not None and cache.is_file():
        d = np.load(cache, allow_pickle=True)
        return BeatDataset(d["x"].astype(np.float32), d["y"], d["r"].astype(object), d["s"])
    ds = build_dataset(MITDB_DS1)
    if cache is not None:
        np.savez(cache, x=ds.features, y=ds.label, r=ds.record.astype(str), s=ds.sample)
    return ds


def inputs(ds: BeatDataset, names: tuple[str, ...]) -> np.ndarray:
    """Log RR ratios (as the shipped stage) plus any extra columns as they are (NaN -> 0)."""
    ratios = [n for n in names if n in SVEB_FEATURES]
    extra = [FEATURE_NAMES.index(n) for n in names if n not in SVEB_FEATURES]
    x = sveb_stage_inputs(ds.features, [FEATURE_NAMES.index(n) for n in ratios]).astype(np.float64)
    return np.hstack([x, np.nan_to_num(ds.features[:, extra].astype(np.float64))])


def oof_scores(ds: BeatDataset, x: np.ndarray, make) -> tuple[float, float, float]:
    n, s = MODEL_CLASSES.index("N"), MODEL_CLASSES.index("S")
    keep = (ds.label == n) | (ds.label == s)
    fold = record_folds(ds.record, seed=SEED)
    oof = np.zeros(len(ds.label))
    for k in range(fold.max() + 1):
        model = make()
        train = keep & (fold != k)
        model.fit(x[train], (ds.label[train] == s).astype(int))
        oof[fold == k] = model.predict_proba(x[fold == k])[:, 1]
    y = ds.label[keep] == s
    p = oof[keep]
    best = (-1.0, 0.0, 0.0)
    for t in THRESHOLDS:
        tp, called = np.sum((p > t) & y), np.sum(p > t)
        f1 = 200 * tp / (called + y.sum())
        if f1 > best[0]:
            best = (f1, 100 * tp / y.sum(), 100 * tp / max(called, 1))
    return best


def main() -> None:
    from lightgbm import LGBMClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ds = load(args.cache)

    def lr(c):
        return lambda: make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced",
                                                                          max_iter=2000))

    def small_gbm():
        return LGBMClassifier(n_estimators=100, learning_rate=0.05, num_leaves=4, min_child_samples=500,
                              reg_lambda=10.0, class_weight="balanced", random_state=SEED, n_jobs=1,
                              deterministic=True, force_row_wise=True, verbose=-1)

    options = [(f"logistic regression, 6 RR ratios, C = {c}", SVEB_FEATURES, lr(c)) for c in (0.01, 0.1, 1.0)]
    options += [(f"+ P-wave template correlation, C = {c}", SVEB_FEATURES + P_WAVE, lr(c)) for c in (0.01, 1.0)]
    options += [(f"+ P, QRS, template corr., residual, amplitude, QRS width, C = {c}", SVEB_FEATURES + SHAPE,
                 lr(c)) for c in (0.01, 1.0)]
    options += [("small LightGBM (4 leaves, 100 trees, 500 min leaf), 6 RR ratios", SVEB_FEATURES, small_gbm)]
    logger.info("| SVEB option (DS1 CV among N and S beats) | F1(S) | Se | +P |\n|---|---:|---:|---:|")
    for name, cols, make in options:
        f1, se, ppv = oof_scores(ds, inputs(ds, cols), make)
        logger.info("| %s | %.1f | %.1f | %.1f |", name, f1, se, ppv)


if __name__ == "__main__":
    main()
