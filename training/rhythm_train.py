"""Train the AF model (optional extra ``train``: scikit-learn and emlearn).
Training records only.

Reproduce the shipped model, its C header and its figures (from the repository root)::

    python -m training.rhythm_cv --v5      # the decisions: training/results/rhythm_af.cv_v5.json (about 20 min)
    python -m training.rhythm_train        # src/cardiowatch/models/rhythm_af.json + firmware/core/cw_rhythm_model.h
    python -m cardiowatch.evaluate.rhythm --write models/rhythm_af.metrics.json

Procedure (all on `LTAFDB_TRAIN` and nsrdb; the ltafdb test records and nsr2db are never read here):

1. Every beat's window features (`af_beat_features`), every ``STEP``-th beat kept for fitting.
2. The forest (`FOREST`, v2's size) and its decision settings (`SETTINGS`, v5) are those
   `training.rhythm_cv` chose by 5-fold record-grouped cross-validation inside the training records. v1
   had tuned on one split (two thirds fitted, one third scored); its settings are in the model card's
   history. (The v4 candidate, boosted trees that were not shipped, was trained by commit fcccd0b.)
3. The model is fitted on all training records with those settings.

References
----------
.. [1] Breiman L. Random forests. Machine Learning 45:5-32 (2001).
.. [2] Nordby J, et al. emlearn: machine learning inference engine for microcontrollers and embedded
   devices. Zenodo (2019). doi:10.5281/zenodo.2589394.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from cardiowatch.evaluate.rhythm import AF_RHYTHMS, BeatRecord, load_beat_record
from cardiowatch.rhythm.af import af_beat_features
from cardiowatch.models import shipped_model_path
from cardiowatch.rhythm.export import export_c_header
from cardiowatch.rhythm.model import MODEL_NAME, AfModel
from cardiowatch.rhythm.splits import LTAFDB_TRAIN

logger = logging.getLogger(__name__)

WINDOW = 32
LOOKAHEAD = 16
STEP = 4
SEED = 20261125
#: The shipped forest's size (v2 on; v5 refitted it on twelve features), chosen by `training.rhythm_cv`
#: (its "8x6_leaf200_balanced"; v1 had no class weights).
FOREST = {"n_estimators": 8, "max_depth": 6, "min_samples_leaf": 200, "class_weight": "balanced"}
#: Decision settings chosen by ``training/scripts/af_v7_oof.py`` (training/results/rhythm_af.cv_v7.json,
#: "chosen"): enter AF after 24 beats in a row at probability >= 0.95, stay in AF while >= 0.3, leave after
#: 96 supraventricular beats below. (v5: 20 and 64; v2-v3: 40 beats at >= 0.9.)
SETTINGS = {"threshold_af": 0.95, "threshold_af_exit": 0.3, "min_af_beats": 24, "min_exit_beats": 96}


def collect(records: list[BeatRecord], *, window: int = WINDOW, lookahead: int = LOOKAHEAD,
            step: int = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Features and AF labels of every ``step``-th decided beat of ``records``."""
    xs, ys = [], []
    for rec in records:
        features, _, decided = af_beat_features(rec.sample, fs=rec.fs, window=window, lookahead=lookahead)
        idx = np.flatnonzero(decided & (rec.rhythm != ""))[::step]
        xs.append(features[idx])
        ys.append(np.isin(rec.rhythm[idx], list(AF_RHYTHMS)))
    return np.concatenate(xs), np.concatenate(ys)


def fit_forest(x: np.ndarray, y: np.ndarray, *, seed: int = SEED):
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(**FOREST, random_state=seed, n_jobs=1)
    return forest.fit(x, y)


def forest_to_model(forest, *, threshold_af: float, min_af_beats: int, min_exit_beats: int,
                    threshold_af_exit: float | None = None, window: int = WINDOW, lookahead: int = LOOKAHEAD,
                    meta: dict | None = None) -> AfModel:
    """The forest in emlearn's flat layout (``leaf_bits=8``, float thresholds as the C source prints them)."""
    with np.errstate():  # importing emlearn calls numpy.seterr(all="raise"); keep the caller's settings
        import emlearn.trees

    wrapper = emlearn.trees.Wrapper(forest, method="inline", dtype="float", leaf_bits=8)
    nodes, roots, leaves = wrapper.forest_
    return AfModel(
        feature=np.array([n[0] for n in nodes], dtype=np.int16),
        threshold=np.array([float(f"{n[1]:.6f}") for n in nodes], dtype=np.float32),
        left=np.array([n[2] for n in nodes], dtype=np.int32),
        right=np.array([n[3] for n in nodes], dtype=np.int32),
        leaf_af=np.array([int(leaf[1]) for leaf in leaves], dtype=np.uint8),
        roots=np.array(roots, dtype=np.int32),
        window=window, lookahead=lookahead, threshold_af=threshold_af,
        min_af_beats=min_af_beats, min_exit_beats=min_exit_beats, threshold_af_exit=threshold_af_exit,
        meta=meta or {},
    )


def train_af(*, nsrdb_records: tuple[str, ...] | None = None) -> AfModel:
    """Fit the AF model on all training records with the cross-validated settings (module docstring)."""
    from cardiowatch.data import list_records

    nsr_names = nsrdb_records or tuple(list_records("nsrdb"))
    logger.info("reading %d ltafdb + %d nsrdb training records", len(LTAFDB_TRAIN), len(nsr_names))
    records = [load_beat_record("ltafdb", r) for r in LTAFDB_TRAIN] + [load_beat_record("nsrdb", r) for r in nsr_names]
    x, y = collect(records)
    meta = {
        "version": 5,
        "trained_on": {"ltafdb": list(LTAFDB_TRAIN), "nsrdb": list(nsr_names)},
        "settings_from": "python -m training.rhythm_cv --v5 (5-fold record-grouped CV on the training records)",
        "training_windows": int(len(y)),
        "training_af_share": round(float(y.mean()), 4),
        "command": "python -m training.rhythm_train",
    }
    meta["forest"] = {**FOREST, "seed": SEED, "step": STEP}
    return forest_to_model(fit_forest(x, y), **SETTINGS, meta=meta)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the AF model on the training records.")
    parser.add_argument("--out", type=Path, default=shipped_model_path(MODEL_NAME))
    # the checkout's firmware, wherever the command runs from
    parser.add_argument("--header", type=Path,
                        default=Path(__file__).resolve().parents[1] / "firmware" / "core" / "cw_rhythm_model.h")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model = train_af()
    model.save(args.out)
    logger.info("wrote %s (%d trees, %d decision nodes, %d leaves, %d bytes as flat tables)", args.out,
                model.n_trees, len(model.feature), model.n_leaves, model.n_bytes)
    export_c_header(model, args.header)
    logger.info("wrote %s", args.header)


if __name__ == "__main__":
    main()
