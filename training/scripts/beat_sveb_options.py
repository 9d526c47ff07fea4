"""DS1 patient-wise cross-validation of the SVEB-stage options (the table in models/beat_classifier.md).

Usage::

    nice -n 10 .venv/bin/python -m training.scripts.beat_sveb_options [--cache /tmp/ds1_features]

Reads DS1 only (never DS2). Every option is an S-vs-N model fitted on the N and S beats of the training
folds (the same record-grouped folds as `training.beats_train`) and scored out of fold two ways:

- *stage alone*: among the N and S beats, at the threshold that maximises F1(S) there;
- *two-stage*: the decision that ships (the main model's out-of-fold probabilities with its tuned
  decision weights; a beat it calls N or S is S when the stage says so), at the threshold that maximises
  F1(S) of that decision -- the rule `training.beats_train` uses -- and, for the target of issue 3, the
  highest Se whose +P is still >= 45 %.

The chosen option is the one `training.beats_train` ships; its two-stage CV figures are also in the
model's sidecar json. ``--cache`` is a file prefix that keeps the DS1 feature matrices (one per RR
irregularity window) between runs (each built once, ~1-3 min).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from cardiowatch.beats import features
from cardiowatch.beats.classifier import sveb_stage_inputs
from cardiowatch.beats.features import FEATURE_NAMES
from cardiowatch.data import MITDB_DS1
from training.beats_train import (
    MODEL_CLASSES, SEED, SVEB_FEATURES, SVEB_LGBM_PARAMS, BeatDataset, build_dataset, class_scores,
    combined_labels, cross_val_proba, record_folds, tune_class_weights,
)

logger = logging.getLogger("beat_sveb_options")
N, S = MODEL_CLASSES.index("N"), MODEL_CLASSES.index("S")
P_WAVE = ("p_corr",)
SHAPE = ("p_corr", "template_corr", "qrs_corr", "residual_rms", "amplitude_ratio", "qrs_width_s")
IRREGULARITY = ("rr_irregularity",)
THRESHOLDS = np.round(np.linspace(0.05, 0.99, 95), 2)
#: RR irregularity windows compared (beats); the shipped one is `features.N_IRREGULAR_RR`.
IRREGULAR_RR_WINDOWS = (16, 32, 64)
#: Beats in the running median that the "relative" template correlations are taken against.
N_RELATIVE_BEATS = 32
TARGET_PPV = 45.0


def load(cache: Path | None, irregular_rr: int = features.N_IRREGULAR_RR) -> BeatDataset:
    """DS1 features, with the RR irregularity measured over ``irregular_rr`` beats."""
    path = None if cache is None else Path(f"{cache}_irr{irregular_rr}.npz")
    if path is not None and path.is_file():
        d = np.load(path, allow_pickle=True)
        return BeatDataset(d["x"].astype(np.float32), d["y"], d["r"].astype(object), d["s"])
    shipped = features.N_IRREGULAR_RR
    features.N_IRREGULAR_RR = irregular_rr  # read by the extractor's reset(); restored below
    try:
        ds = build_dataset(MITDB_DS1)
    finally:
        features.N_IRREGULAR_RR = shipped
    if path is not None:
        np.savez(path, x=ds.features, y=ds.label, r=ds.record.astype(str), s=ds.sample)
    return ds


def relative_to_running_median(ds: BeatDataset, name: str) -> np.ndarray:
    """Column ``name`` minus its median over the patient's previous `N_RELATIVE_BEATS` beats (causal)."""
    v = np.nan_to_num(ds.features[:, FEATURE_NAMES.index(name)].astype(np.float64))
    out = np.zeros(len(v))
    for r in sorted(set(ds.record.tolist())):
        idx = np.flatnonzero(ds.record == r)  # rows of a record are in time order
        for j, i in enumerate(idx):
            past = v[idx[max(0, j - N_RELATIVE_BEATS):j]]
            out[i] = v[i] - (np.median(past) if len(past) else v[i])
    return out


def inputs(ds: BeatDataset, names: tuple[str, ...], extra: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """Log RR ratios (as the shipped stage) plus any other named columns as they are (NaN -> 0)."""
    ratios = [FEATURE_NAMES.index(n) for n in names if n in SVEB_FEATURES]
    plain = [FEATURE_NAMES.index(n) for n in names if n not in SVEB_FEATURES]
    x = sveb_stage_inputs(ds.features, ratios, plain).astype(np.float64)
    return np.hstack([x, *[e[:, None] for e in extra]])


def stage_oof(ds: BeatDataset, x: np.ndarray, make) -> np.ndarray:
    """Out-of-fold P(S) of every row from S-vs-N models fitted on the training folds' N and S beats."""
    keep = (ds.label == N) | (ds.label == S)
    fold = record_folds(ds.record, seed=SEED)
    oof = np.zeros(len(ds.label))
    for k in range(fold.max() + 1):
        model = make()
        train = keep & (fold != k)
        model.fit(x[train], (ds.label[train] == S).astype(int))
        oof[fold == k] = model.predict_proba(x[fold == k])[:, 1]
    return oof


def stage_alone(ds: BeatDataset, oof: np.ndarray) -> dict:
    """F1, Se, +P of S among the N and S beats at the threshold best for F1(S)."""
    keep = (ds.label == N) | (ds.label == S)
    y, p = ds.label[keep] == S, oof[keep]
    best = {"f1": -1.0}
    for t in THRESHOLDS:
        tp, called = np.sum((p > t) & y), np.sum(p > t)
        f1 = 200 * tp / (called + y.sum())
        if f1 > best["f1"]:
            best = {"f1": f1, "se": 100 * tp / y.sum(), "ppv": 100 * tp / max(called, 1)}
    return best


def two_stage(ds: BeatDataset, main_oof: np.ndarray, weights: np.ndarray, oof: np.ndarray) -> tuple[dict, dict]:
    """S scores of the shipped decision at the threshold best for F1(S), and the best Se at +P >= 45 %."""
    best, target = {"f1": -1.0}, {"se": float("nan")}
    for t in THRESHOLDS:
        s = class_scores(ds.label, combined_labels(main_oof, weights, oof, float(t)))["S"]
        if s["f1"] > best["f1"]:
            best = {**s, "t": t}
        if s["ppv"] >= TARGET_PPV and not s["se"] <= target["se"]:
            target = s
    return best, target


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
    by_window = {n: load(args.cache, n) for n in IRREGULAR_RR_WINDOWS}
    main_oof = cross_val_proba(ds, seed=SEED, n_jobs=1)  # the v1 main model, as `training.beats_train` fits it
    weights = tune_class_weights(ds.label, main_oof)
    main_pred = np.argmax(main_oof * weights, axis=1)
    lost = np.bincount(main_pred[ds.label == S], minlength=len(MODEL_CLASSES))
    logger.info("S beats (%d) by the main model's call: %s (the stage sees only the N and S calls)",
                int(np.sum(ds.label == S)), ", ".join(f"{c} {n}" for c, n in zip(MODEL_CLASSES, lost)))
    rel_p = relative_to_running_median(ds, "p_corr")
    rel_qrs = relative_to_running_median(ds, "qrs_corr")

    def lr(c):
        return lambda: make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced",
                                                                          max_iter=2000))

    def gbm(**over):
        return lambda: LGBMClassifier(**{**SVEB_LGBM_PARAMS, **over}, random_state=SEED, n_jobs=1)

    rr = SVEB_FEATURES
    irr = rr + IRREGULARITY
    options = [(f"logistic regression, 6 RR ratios, C = {c}{' (v2)' if c == 1.0 else ''}", ds, inputs(ds, rr),
                lr(c)) for c in (0.01, 0.1, 1.0)]
    options += [(f"+ P-wave template correlation, C = {c}", ds, inputs(ds, rr + P_WAVE), lr(c)) for c in (0.01, 1.0)]
    options += [(f"+ P, QRS, template corr., residual, amplitude, QRS width, C = {c}", ds, inputs(ds, rr + SHAPE),
                 lr(c)) for c in (0.01, 1.0)]
    options += [(f"logistic regression, 6 RR ratios + RR irregularity ({n} beats)", d, inputs(d, irr), lr(1.0))
                for n, d in by_window.items()]
    options += [
        ("logistic regression, 6 RR ratios + irregularity + P-wave corr. minus its running median", ds,
         inputs(ds, irr, (rel_p,)), lr(1.0)),
        ("logistic regression, 6 RR ratios + irregularity + QRS corr. minus its running median", ds,
         inputs(ds, irr, (rel_qrs,)), lr(1.0)),
        ("small LightGBM (4 leaves, 100 trees, 500 min leaf), 6 RR ratios (v2 table)", ds, inputs(ds, rr),
         gbm(min_child_samples=500)),
    ]
    options += [(f"small LightGBM (500 min leaf), 6 RR ratios + RR irregularity ({n} beats)", d, inputs(d, irr),
                 gbm(min_child_samples=500)) for n, d in by_window.items()]
    options += [
        ("small LightGBM (500 min leaf), 6 RR ratios + irregularity + P-wave and QRS corr. minus running medians",
         ds, inputs(ds, irr, (rel_p, rel_qrs)), gbm(min_child_samples=500)),
        ("small LightGBM (500 min leaf), 6 RR ratios + irregularity, 200 trees", ds, inputs(ds, irr),
         gbm(min_child_samples=500, n_estimators=200)),
        ("small LightGBM (500 min leaf), 6 RR ratios + irregularity, 8 leaves", ds, inputs(ds, irr),
         gbm(min_child_samples=500, num_leaves=8)),
        ("**small LightGBM (4 leaves, 100 trees, 200 min leaf), 6 RR ratios + irregularity (shipped, v3)**", ds,
         inputs(ds, irr), gbm()),
    ]
    logger.info("| SVEB option (DS1 CV) | alone F1(S) | alone Se | alone +P | two-stage F1(S) | Se | +P "
                "| threshold | Se at +P >= 45 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, d, x, make in options:
        oof = stage_oof(d, x, make)
        alone = stage_alone(d, oof)
        both, target = two_stage(d, main_oof, weights, oof)
        reached = "none" if np.isnan(target["se"]) else f"{target['se']:.1f}"
        logger.info("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s |", name, alone["f1"], alone["se"],
                    alone["ppv"], both["f1"], both["se"], both["ppv"], both["t"], reached)


if __name__ == "__main__":
    main()
