"""Train the AF model (optional extra ``train``: scikit-learn, emlearn). Training records only.

Reproduce the shipped model, its C header and its figures::

    python -m cardiowatch.rhythm.train            # models/rhythm_af.json + firmware/core/cw_rhythm_model.h
    python -m cardiowatch.evaluate.rhythm --write models/rhythm_af.metrics.json

Procedure (all on `LTAFDB_TRAIN` and nsrdb; the ltafdb test records and nsr2db are never read here):

1. Every beat's window features (`af_beat_features`), every ``STEP``-th beat kept for fitting.
2. Tuning split inside the training records (every third ltafdb record and every third nsrdb record):
   fit a random forest on the rest, then pick the confirmation length, the probability threshold and
   the exit length (in that order, one at a time over `GRID`) by running `RhythmTracker` over the
   tuning records, maximising Se + Sp - 0.005 * false AF episodes
   per 24 h on nsrdb, among settings whose median onset delay is <= 30 s.
3. Refit the forest on all training records with the chosen settings.

References
----------
.. [1] Breiman L. Random forests. Machine Learning 45:5-32 (2001).
.. [2] Nordby J, et al. emlearn: machine learning inference engine for microcontrollers and embedded
   devices. Zenodo (2019). doi:10.5281/zenodo.2589394.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardiowatch.evaluate.rhythm import AF_RHYTHMS, BeatRecord, load_beat_record, score_records
from cardiowatch.rhythm.af import af_beat_features
from cardiowatch.rhythm.model import MODEL_NAME, AfModel, models_dir
from cardiowatch.rhythm.splits import LTAFDB_TRAIN

logger = logging.getLogger(__name__)

WINDOW = 32
LOOKAHEAD = 16
STEP = 4
N_TREES = 8
MAX_DEPTH = 6
MIN_SAMPLES_LEAF = 200
SEED = 20261125
#: Tuning starts from these settings and searches one setting at a time, in this order.
START = {"min_af_beats": 16, "threshold_af": 0.5, "min_exit_beats": 16}
GRID = {"min_af_beats": (16, 32, 48, 64), "threshold_af": (0.4, 0.5, 0.6, 0.7), "min_exit_beats": (16, 32, 64)}
#: Median AF onset delay (s) the settings must not exceed (the product's target).
MAX_MEDIAN_DELAY_S = 30.0


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

    forest = RandomForestClassifier(n_estimators=N_TREES, max_depth=MAX_DEPTH, min_samples_leaf=MIN_SAMPLES_LEAF,
                                    random_state=seed, n_jobs=1)
    return forest.fit(x, y)


def forest_to_model(forest, *, threshold_af: float, min_af_beats: int, min_exit_beats: int,
                    window: int = WINDOW, lookahead: int = LOOKAHEAD, meta: dict | None = None) -> AfModel:
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
        min_af_beats=min_af_beats, min_exit_beats=min_exit_beats, meta=meta or {},
    )


@dataclass(frozen=True)
class _MemoModel(AfModel):
    """The model with its probabilities remembered per feature table: tuning scores the same records often."""

    @classmethod
    def of(cls, model: AfModel, memo: dict) -> "_MemoModel":
        fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(AfModel)}
        return cls(**{**fields, "meta": {"memo": memo}})

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(features, dtype=np.float32)
        key = hashlib.blake2b(x.tobytes(), digest_size=16).digest()
        memo = self.meta["memo"]
        if key not in memo:
            memo[key] = AfModel.predict_proba(self, x)
        return memo[key]


def _objective(af_score, nsr_score) -> float:
    if not af_score.median_delay_s <= MAX_MEDIAN_DELAY_S:
        return -np.inf
    return af_score.sensitivity + af_score.specificity - 0.005 * nsr_score.af_episodes_per_24h


def train_af(*, nsrdb_records: tuple[str, ...] | None = None) -> AfModel:
    """Train and tune the AF model on the training records (see the module docstring)."""
    from cardiowatch.data import list_records

    nsr_names = nsrdb_records or tuple(list_records("nsrdb"))
    logger.info("reading %d ltafdb + %d nsrdb training records", len(LTAFDB_TRAIN), len(nsr_names))
    af_recs = [load_beat_record("ltafdb", r) for r in LTAFDB_TRAIN]
    nsr_recs = [load_beat_record("nsrdb", r) for r in nsr_names]
    tune_af, fit_af = af_recs[::3], [r for i, r in enumerate(af_recs) if i % 3]
    tune_nsr, fit_nsr = nsr_recs[::3], [r for i, r in enumerate(nsr_recs) if i % 3]
    x, y = collect(fit_af + fit_nsr)
    logger.info("tuning fit: %d windows (%.1f %% AF)", len(y), 100 * y.mean())
    forest = fit_forest(x, y)
    memo: dict = {}
    best = dict(START)
    tried: dict[tuple, float] = {}
    for name, values in GRID.items():
        for value in values:
            setting = {**best, name: value}
            key = tuple(sorted(setting.items()))
            if key not in tried:
                model = _MemoModel.of(forest_to_model(forest, **setting), memo)
                af_score = score_records(tune_af, model=model, use_labels=False)
                nsr_score = score_records(tune_nsr, model=model, use_labels=False)
                tried[key] = _objective(af_score, nsr_score)
                logger.info("%s: Se %.2f Sp %.2f nsr AF/24h %.2f delay %.1f s -> %.4f", setting,
                            100 * af_score.sensitivity, 100 * af_score.specificity,
                            nsr_score.af_episodes_per_24h, af_score.median_delay_s, tried[key])
            if tried[key] > tried[tuple(sorted(best.items()))]:
                best = setting
    thr, m_af, m_exit = best["threshold_af"], best["min_af_beats"], best["min_exit_beats"]
    logger.info("chosen: threshold %.2f, min_af_beats %d, min_exit_beats %d", thr, m_af, m_exit)
    x, y = collect(af_recs + nsr_recs)
    forest = fit_forest(x, y)
    meta = {
        "trained_on": {"ltafdb": list(LTAFDB_TRAIN), "nsrdb": list(nsr_names)},
        "tuned_on": {"ltafdb": [r.name for r in tune_af], "nsrdb": [r.name for r in tune_nsr]},
        "training_windows": int(len(y)),
        "training_af_share": round(float(y.mean()), 4),
        "forest": {"n_estimators": N_TREES, "max_depth": MAX_DEPTH, "min_samples_leaf": MIN_SAMPLES_LEAF,
                   "seed": SEED, "step": STEP},
        "command": "python -m cardiowatch.rhythm.train",
    }
    return forest_to_model(forest, threshold_af=thr, min_af_beats=m_af, min_exit_beats=m_exit, meta=meta)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the AF model on the training records.")
    parser.add_argument("--out", type=Path, default=models_dir() / MODEL_NAME)
    parser.add_argument("--header", type=Path, default=Path("firmware/core/cw_rhythm_model.h"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model = train_af()
    model.save(args.out)
    logger.info("wrote %s (%d trees, %d decision nodes, %d leaves, %d bytes as flat tables)", args.out,
                model.n_trees, len(model.feature), len(model.leaf_af), model.n_bytes)
    from cardiowatch.rhythm.export import export_c_header

    export_c_header(model, args.header)
    logger.info("wrote %s", args.header)


if __name__ == "__main__":
    main()
