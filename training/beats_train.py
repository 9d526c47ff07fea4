"""Training of the beat classifier (optional extra ``train``: lightgbm, onnxmltools, scikit-learn).

Recipe, all on DS1 (de Chazal 2004) -- DS2 is never read here:

1. features of every reference beat of each DS1 record, computed by the same streaming stage the live
   system runs (`cardiowatch.beats.features.ecg_beat_features`);
2. a LightGBM multi-class model (N, S, V, F; Q has 8 beats in DS1 and is left to the "unclassifiable"
   rule) on `MAIN_FEATURES` with class-balanced sample weights;
3. patient-wise 5-fold cross-validation (folds grouped by record) gives out-of-fold probabilities,
   on which per-class decision weights are tuned to maximise F1(SVEB) + F1(VEB);
4. the SVEB stage (v3): a small LightGBM S-vs-N on the log RR ratios `SVEB_FEATURES` and the rhythm's
   irregularity `SVEB_PLAIN_FEATURES` (N and S beats only, balanced class weights), cross-validated on
   the same folds; its threshold is tuned on the out-of-fold probabilities to maximise F1(SVEB) of the
   combined decision (see `cardiowatch.beats.classifier`);
5. both models are fitted on all of DS1 and exported to ONNX with a json sidecar.

Seeds are fixed and LightGBM runs deterministically, so ``python -m training.beats_train`` (from the
repository root) reproduces the shipped model.

References
----------
Ke G, Meng Q, Finley T, et al. LightGBM: a highly efficient gradient boosting decision tree. NeurIPS (2017).
de Chazal P, O'Dwyer M, Reilly RB. IEEE Trans Biomed Eng 51(7):1196-1206 (2004).
Llamedo M, Martinez JP. IEEE Trans Biomed Eng 58(3):616-625 (2011).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cardiowatch.beats.classifier import MODEL_FORMAT_VERSION, sidecar_path, sveb_stage_inputs
from cardiowatch.beats.features import FEATURE_NAMES, ecg_beat_features
from cardiowatch.data import AAMI_CLASSES, MITDB_DS1, read_record

logger = logging.getLogger(__name__)

#: Classes the model outputs (Q is left to the unclassifiable rule).
MODEL_CLASSES: tuple[str, ...] = ("N", "S", "V", "F")
SEED = 20261125
ONNX_GRAPH_NAME = "cardiowatch_beat_classifier"
N_FOLDS = 5
#: LightGBM settings, chosen by the DS1 cross-validation (see models/beat_classifier.md).
LGBM_PARAMS: dict[str, object] = {
    "objective": "multiclass",
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 100,
    "subsample": 0.7,
    "subsample_freq": 1,
    "colsample_bytree": 0.5,
    "reg_lambda": 1.0,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
#: Decision weights searched for S, V and F (N stays 1).
WEIGHT_GRID = np.round(np.geomspace(0.1, 100.0, 31), 4)
#: Inputs of the SVEB stage, chosen by DS1 CV (`benchmarks/beat_sveb_options.py`): RR timing relative to
#: the patient's own rhythm, as log ratios, and how irregular that rhythm is, as it is (adding the P-wave
#: or QRS template correlations lowered the CV F1(S) of the stage).
SVEB_FEATURES: tuple[str, ...] = ("pre_over_local", "post_over_pre", "pre_over_long", "post_over_long",
                                  "local_over_long", "pre_over_local_median")
SVEB_PLAIN_FEATURES: tuple[str, ...] = ("rr_irregularity",)
#: The main model reads the v1 features only, so its V and F decisions stay v1's.
MAIN_FEATURES: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in SVEB_PLAIN_FEATURES)
#: The SVEB stage: a small LightGBM, so that prematurity can count for less in an irregular rhythm (an
#: interaction a logistic regression cannot draw); settings chosen by the DS1 CV of the two-stage decision.
SVEB_LGBM_PARAMS: dict[str, object] = {
    "objective": "binary",
    "n_estimators": 100,
    "learning_rate": 0.05,
    "num_leaves": 4,
    "min_child_samples": 200,
    "reg_lambda": 10.0,
    "class_weight": "balanced",
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
SVEB_ONNX_GRAPH_NAME = "cardiowatch_sveb_stage"
#: Thresholds searched for the SVEB stage.
SVEB_THRESHOLD_GRID = np.round(np.linspace(0.30, 0.99, 70), 2)


@dataclass(frozen=True)
class BeatDataset:
    """Feature rows of reference beats: class index into `MODEL_CLASSES` (-1: Q), record of each row."""

    features: np.ndarray
    label: np.ndarray
    record: np.ndarray
    sample: np.ndarray


def record_dataset(database: str, name: str, *, root: str | Path | None = None) -> BeatDataset:
    """Features of every reference beat of one record, from its ECG lead (MLII first)."""
    rec = read_record(database, name, root=root)
    lead = rec.ecg_lead()
    beats = rec.annotations.beats()
    feats = ecg_beat_features(rec.signals[lead], beats.sample, fs=rec.fs)
    by_sample = dict(zip(beats.sample.tolist(), beats.aami.tolist()))
    aami = np.array([by_sample[int(s)] for s in feats.sample], dtype=np.int64)
    letters = np.asarray(AAMI_CLASSES)[aami]
    label = np.array([MODEL_CLASSES.index(c) if c in MODEL_CLASSES else -1 for c in letters], dtype=np.int64)
    return BeatDataset(feats.features, label, np.full(len(label), name, dtype=object), feats.sample)


def build_dataset(
    records: Sequence[str], *, database: str = "mitdb", root: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> BeatDataset:
    """`record_dataset` over several records, concatenated."""
    parts = []
    for name in records:
        if progress is not None:
            progress(name)
        parts.append(record_dataset(database, name, root=root))
    return BeatDataset(
        np.concatenate([p.features for p in parts]).astype(np.float32),
        np.concatenate([p.label for p in parts]),
        np.concatenate([p.record for p in parts]),
        np.concatenate([p.sample for p in parts]),
    )


def _balanced_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y, minlength=len(MODEL_CLASSES)).astype(float)
    per_class = np.where(counts > 0, len(y) / (len(MODEL_CLASSES) * np.maximum(counts, 1)), 0.0)
    return np.sqrt(per_class[y])  # full inverse-frequency weights over-fit the few S records


def main_columns() -> list[int]:
    """Columns of `MAIN_FEATURES` in the feature matrix."""
    return [FEATURE_NAMES.index(n) for n in MAIN_FEATURES]


def fit_model(x: np.ndarray, y: np.ndarray, *, seed: int = SEED, n_jobs: int = 2, params: dict | None = None):
    """Fit the LightGBM classifier on the `MAIN_FEATURES` of full feature rows with a model class (Q rows
    dropped)."""
    import lightgbm as lgb

    keep = y >= 0
    model = lgb.LGBMClassifier(**{**LGBM_PARAMS, **(params or {})}, random_state=seed, n_jobs=n_jobs)
    model.fit(x[keep][:, main_columns()], y[keep], sample_weight=_balanced_weights(y[keep]))
    return model


def _full_proba(model, x: np.ndarray) -> np.ndarray:
    prob = np.zeros((len(x), len(MODEL_CLASSES)))
    prob[:, model.classes_] = model.predict_proba(x[:, main_columns()])
    return prob


def record_folds(record: np.ndarray, *, n_folds: int = N_FOLDS, seed: int = SEED) -> np.ndarray:
    """Fold index of every row, folds grouped by record (no patient in two folds); deterministic."""
    records = np.array(sorted(set(record.tolist())))
    order = np.random.default_rng(seed).permutation(len(records))
    fold_of = {records[i]: k % n_folds for k, i in enumerate(order)}
    return np.array([fold_of[r] for r in record])


def cross_val_proba(ds: BeatDataset, *, n_folds: int = N_FOLDS, seed: int = SEED, params: dict | None = None,
                    n_jobs: int = 2) -> np.ndarray:
    """Out-of-fold class probabilities with folds grouped by record (no patient in train and test)."""
    fold = record_folds(ds.record, n_folds=n_folds, seed=seed)
    oof = np.zeros((len(ds.label), len(MODEL_CLASSES)))
    for k in range(n_folds):
        test = fold == k
        model = fit_model(ds.features[~test], ds.label[~test], seed=seed, n_jobs=n_jobs, params=params)
        oof[test] = _full_proba(model, ds.features[test])
        logger.info("fold %d/%d done (%d test beats)", k + 1, n_folds, int(test.sum()))
    return oof


def class_scores(y: np.ndarray, pred: np.ndarray) -> dict[str, dict[str, float]]:
    """Gross Se, +P and F1 (percent) per model class over rows with a model class (beats given, not detected)."""
    out = {}
    keep = y >= 0
    for c, name in enumerate(MODEL_CLASSES):
        tp = int(np.sum((pred == c) & (y == c) & keep))
        fn = int(np.sum((pred != c) & (y == c) & keep))
        fp = int(np.sum((pred == c) & (y != c) & keep))
        se = 100 * tp / (tp + fn) if tp + fn else float("nan")
        ppv = 100 * tp / (tp + fp) if tp + fp else float("nan")
        f1 = 200 * tp / (2 * tp + fn + fp) if tp + fn + fp else float("nan")
        out[name] = {"se": round(se, 2), "ppv": round(ppv, 2), "f1": round(f1, 2), "tp": tp, "fn": fn, "fp": fp}
    return out


def tune_class_weights(y: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Decision weights (N fixed at 1) maximising F1(S) + F1(V) on out-of-fold probabilities.

    Coordinate search over `WEIGHT_GRID`, V then S then F, twice; deterministic.
    """
    w = np.ones(len(MODEL_CLASSES))

    def objective(weights: np.ndarray) -> float:
        s = class_scores(y, np.argmax(prob * weights, axis=1))
        return np.nan_to_num(s["S"]["f1"]) + np.nan_to_num(s["V"]["f1"]) + 0.25 * np.nan_to_num(s["F"]["f1"])

    for _ in range(2):
        for c in (MODEL_CLASSES.index("V"), MODEL_CLASSES.index("S"), MODEL_CLASSES.index("F")):
            best, best_val = w[c], -1.0
            for v in WEIGHT_GRID:
                trial = w.copy()
                trial[c] = v
                val = objective(trial)
                if val > best_val + 1e-12:
                    best, best_val = v, val
            w[c] = best
    return w


def sveb_inputs(x: np.ndarray) -> np.ndarray:
    """The SVEB stage's inputs (`SVEB_FEATURES` as log ratios, then `SVEB_PLAIN_FEATURES`) of full rows."""
    return sveb_stage_inputs(x, [FEATURE_NAMES.index(n) for n in SVEB_FEATURES],
                             [FEATURE_NAMES.index(n) for n in SVEB_PLAIN_FEATURES])


def fit_sveb_model(x: np.ndarray, y: np.ndarray, *, seed: int = SEED, params: dict | None = None):
    """Fit the SVEB stage (small LightGBM, balanced class weights) on the N and S rows of ``x``.

    Parameters
    ----------
    x : ndarray
        Full feature rows (`FEATURE_NAMES`); the stage takes its inputs from them (`sveb_inputs`).
    y : ndarray
        Class index into `MODEL_CLASSES` (-1: Q) per row.
    params : dict or None
        Overrides of `SVEB_LGBM_PARAMS` (tests on small generated data).
    """
    import lightgbm as lgb

    n, s = MODEL_CLASSES.index("N"), MODEL_CLASSES.index("S")
    keep = (y == n) | (y == s)
    model = lgb.LGBMClassifier(**{**SVEB_LGBM_PARAMS, **(params or {})}, random_state=seed, n_jobs=1)
    model.fit(sveb_inputs(x[keep]), (y[keep] == s).astype(np.int64))
    return model


def cross_val_sveb(ds: BeatDataset, *, n_folds: int = N_FOLDS, seed: int = SEED) -> np.ndarray:
    """Out-of-fold SVEB-stage probabilities of S, same record-grouped folds as `cross_val_proba`."""
    fold = record_folds(ds.record, n_folds=n_folds, seed=seed)
    oof = np.zeros(len(ds.label))
    for k in range(n_folds):
        test = fold == k
        model = fit_sveb_model(ds.features[~test], ds.label[~test], seed=seed)
        oof[test] = model.predict_proba(sveb_inputs(ds.features[test]))[:, 1]
    return oof


def combined_labels(prob: np.ndarray, weights: np.ndarray, sveb_prob: np.ndarray | None,
                    threshold: float | None) -> np.ndarray:
    """Class indices of the two-stage decision (mirrors `BeatClassifier.decide`)."""
    pred = np.argmax(prob * weights, axis=1)
    if sveb_prob is not None and threshold is not None:
        n, s = MODEL_CLASSES.index("N"), MODEL_CLASSES.index("S")
        n_or_s = (pred == n) | (pred == s)
        pred[n_or_s] = np.where(sveb_prob[n_or_s] > threshold, s, n)
    return pred


def tune_sveb_threshold(y: np.ndarray, prob: np.ndarray, weights: np.ndarray, sveb_prob: np.ndarray) -> float:
    """SVEB-stage threshold maximising F1(S) of the combined decision on out-of-fold probabilities."""
    best, best_val = float(SVEB_THRESHOLD_GRID[0]), -1.0
    for t in SVEB_THRESHOLD_GRID:
        val = np.nan_to_num(class_scores(y, combined_labels(prob, weights, sveb_prob, float(t)))["S"]["f1"])
        if val > best_val + 1e-12:
            best, best_val = float(t), val
    return best


def export_sveb_onnx(model, path: Path) -> None:
    """Write the SVEB stage as ONNX (probabilities as a plain tensor)."""
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    n_inputs = len(SVEB_FEATURES) + len(SVEB_PLAIN_FEATURES)
    onx = onnxmltools.convert_lightgbm(model, initial_types=[("rr_timing", FloatTensorType([None, n_inputs]))],
                                       zipmap=False, target_opset=15)
    onx.graph.name = SVEB_ONNX_GRAPH_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())


def export_onnx(model, path: Path, *, meta: dict) -> None:
    """Write the LightGBM model as ONNX (probabilities as a plain tensor) and its json sidecar."""
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    onx = onnxmltools.convert_lightgbm(
        model, initial_types=[("features", FloatTensorType([None, len(MAIN_FEATURES)]))],
        zipmap=False, target_opset=15,
    )
    onx.graph.name = ONNX_GRAPH_NAME  # the converter draws a random name; fix it so retraining is byte-identical
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    sidecar_path(path).write_text(json.dumps(meta, indent=1) + "\n")


def train_beat_classifier(
    out: Path, *, records: Sequence[str] = MITDB_DS1, database: str = "mitdb", seed: int = SEED,
    n_jobs: int = 2, root: str | Path | None = None, progress: Callable[[str], None] | None = None,
) -> dict:
    """Train, cross-validate, tune and export the beat classifier; returns the sidecar metadata."""
    ds = build_dataset(records, database=database, root=root, progress=progress)
    logger.info("%d beats from %d records", len(ds.label), len(records))
    if progress is not None:
        progress("cross-validation")
    oof = cross_val_proba(ds, seed=seed, n_jobs=n_jobs)
    weights = tune_class_weights(ds.label, oof)
    cv_main = class_scores(ds.label, np.argmax(oof * weights, axis=1))
    cv_unweighted = class_scores(ds.label, np.argmax(oof, axis=1))
    sveb_oof = cross_val_sveb(ds, seed=seed)
    threshold = tune_sveb_threshold(ds.label, oof, weights, sveb_oof)
    cv = class_scores(ds.label, combined_labels(oof, weights, sveb_oof, threshold))
    if progress is not None:
        progress("final fit")
    model = fit_model(ds.features, ds.label, seed=seed, n_jobs=n_jobs)
    sveb_file = Path(out).with_name(Path(out).stem + "_sveb.onnx")
    export_sveb_onnx(fit_sveb_model(ds.features, ds.label), sveb_file)
    meta = {
        "format_version": MODEL_FORMAT_VERSION,
        "classes": list(MODEL_CLASSES),
        "class_weights": [float(v) for v in weights],
        "feature_names": list(FEATURE_NAMES),
        "main_features": list(MAIN_FEATURES),
        "sveb_stage": {"model": sveb_file.name, "features": list(SVEB_FEATURES),
                       "plain_features": list(SVEB_PLAIN_FEATURES), "threshold": threshold,
                       "lgbm_params": SVEB_LGBM_PARAMS},
        "training": {
            "database": database, "records": list(records), "n_beats": int(np.sum(ds.label >= 0)),
            "class_counts": {c: int(np.sum(ds.label == i)) for i, c in enumerate(MODEL_CLASSES)},
            "seed": seed, "lgbm_params": LGBM_PARAMS, "n_folds": N_FOLDS,
        },
        "cv_ds1_patientwise": {"weighted": cv, "main_model_only": cv_main, "unweighted": cv_unweighted},
    }
    export_onnx(model, Path(out), meta=meta)
    return meta


def leaky_random_split(
    records: Sequence[str], *, class_weights: Sequence[float], sveb_threshold: float | None = None,
    database: str = "mitdb", seed: int = SEED, n_jobs: int = 2, root: str | Path | None = None, progress: Callable[[str], None] | None = None,
) -> dict:
    """The popular but LEAKY protocol: beats of all ``records`` split at random 50/50 into train and test.

    The same patients appear on both sides, so the figures are optimistic and say nothing about a new
    patient; they are reported only beside the inter-patient ones, to show the gap. Same recipe as
    `train_beat_classifier` (features, LightGBM settings, the shipped decision weights and, when
    ``sveb_threshold`` is given, an SVEB stage fitted on the training half with that threshold).
    """
    ds = build_dataset(records, database=database, root=root, progress=progress)
    keep = np.flatnonzero(ds.label >= 0)
    order = np.random.default_rng(seed).permutation(keep)
    train, test = order[: len(order) // 2], order[len(order) // 2:]
    model = fit_model(ds.features[train], ds.label[train], seed=seed, n_jobs=n_jobs)
    prob = _full_proba(model, ds.features[test])
    sveb_prob = None
    if sveb_threshold is not None:
        sveb = fit_sveb_model(ds.features[train], ds.label[train])
        sveb_prob = sveb.predict_proba(sveb_inputs(ds.features[test]))[:, 1]
    pred = combined_labels(prob, np.asarray(class_weights, dtype=float), sveb_prob, sveb_threshold)
    return {
        "protocol": "LEAKY random 50/50 beat split (same patients in train and test; optimistic)",
        "records": list(records), "n_train": int(len(train)), "n_test": int(len(test)), "seed": seed,
        "gross": class_scores(ds.label[test], pred),
    }


def _write_leaky_row(card: Path, result: dict) -> None:
    """Put the leaky split's figures into the model card's figures block, keeping its other rows."""
    from cardiowatch.evaluate.beats import read_card_figures, update_model_card

    figures = {**read_card_figures(card), "leaky_random_split_ds1_ds2": result["gross"]}
    update_model_card(card, figures, command=f"python -m training.beats_train --leaky --card {card}")


def main(argv: list[str] | None = None) -> None:
    """``python -m training.beats_train``: train and export the shipped model, or run the leaky protocol."""
    import argparse

    from cardiowatch.beats.classifier import DEFAULT_MODEL_PATH, BeatClassifier
    from cardiowatch.data import MITDB_DS2

    parser = argparse.ArgumentParser(description="Train the AAMI beat classifier on MIT-BIH DS1 (patient-wise "
                                     "CV inside DS1) and export it to ONNX.")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH,
                        help="model file to write; its .json sidecar goes beside it (default: the shipped one)")
    parser.add_argument("--jobs", type=int, default=2, help="CPU threads for LightGBM")
    parser.add_argument("--data", type=Path, default=None,
                        help="data root, one folder per database (default: $CARDIOWATCH_DATA, else ../shared/physionet)")
    parser.add_argument("--leaky", action="store_true",
                        help="instead, the LEAKY random-beat-split protocol with the shipped model's recipe")
    parser.add_argument("--card", type=Path, default=None,
                        help="with --leaky: model card whose leaky row to rewrite, e.g. models/beat_classifier.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.leaky:
        clf = BeatClassifier()
        result = leaky_random_split(MITDB_DS1 + MITDB_DS2, class_weights=clf.class_weights,
                                    sveb_threshold=clf.sveb_threshold, n_jobs=args.jobs, root=args.data)
        for c, v in result["gross"].items():
            logger.info("LEAKY random beat split %s: Se %.1f +P %.1f", c, v["se"], v["ppv"])
        if args.card is not None:
            _write_leaky_row(args.card, result)
            logger.info("updated the leaky row in %s", args.card)
        return
    meta = train_beat_classifier(args.out, n_jobs=args.jobs, root=args.data, progress=logger.info)
    cv = meta["cv_ds1_patientwise"]["weighted"]
    logger.info("wrote %s; DS1 patient-wise CV: %s", args.out,
                ", ".join(f"{c} Se {v['se']:.1f} +P {v['ppv']:.1f}" for c, v in cv.items()))


if __name__ == "__main__":
    main()
