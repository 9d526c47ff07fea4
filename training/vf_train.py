"""Train the shockable-rhythm detector's classifier and choose its rule by record-wise cross-validation.

Run from the repository root (with ``CARDIOWATCH_DATA`` pointing at the PhysioNet copies)::

    PYTHONPATH=src python training/vf_train.py

Data (development only; mitdb DS2 is never read here):

* cudb, all 35 records; mitdb DS1 and the paced records (VT in 106, 203, 205, 207, 215, 217, 223;
  flutter in 207);
* the same mitdb records with the *training* half of nstdb ``em`` and ``ma`` added at 12, 6 and 0 dB
  (SNR from the QRS amplitude, `cardiowatch.evaluate.noise_stress.noise_add_at_snr`), as negatives that must not
  become VF (their VF seconds, in 207, stay VF);
* the training halves of nstdb ``bw``, ``em``, ``ma`` alone: noise with no ECG, negatives.

Protocol: 5-fold cross-validation grouped by patient (a mitdb record, its noisy copies, a cudb record,
a noise record are one group each). For each ensemble tried (context windows, tree depth, number of
trees) a gradient-boosted tree model is fitted on four folds' windows whose four seconds share one label,
and scores every window of the fifth. Each rule
(threshold, windows in a row to enter and to leave) is then replayed on the out-of-fold scores through
the detector's own decision step (`cardiowatch.signal.vf.vf_events`) and scored per second
(`cardiowatch.evaluate.vf`). The rule chosen maximises ``VF Se - penalties``, where the penalties are the
shortfalls from the targets (normal Sp 99.5 %, other Sp 97 %, median delay 5 s, false alarms: 0 on clean
records, 1 per hour at 6 dB). The final model is fitted on every training window with the chosen
ensemble and shipped with the chosen rule.

Writes ``src/cardiowatch/models/vf_detector.json`` and ``training/results/vf_cv.json`` (out-of-fold
figures of every rule tried and of the chosen one).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records, read_record
from cardiowatch.evaluate.noise_stress import noise_add_at_snr, noise_part, qrs_amplitude
from cardiowatch.evaluate.vf import (
    RhythmLabel,
    VfReport,
    vf_reference_seconds,
    vf_score_record,
)
from cardiowatch.signal.vf import FEATURE_NAMES, VfHysteresis, ecg_vf_features, vf_events
from cardiowatch.signal.vf_model import VfModel, vf_context

logger = logging.getLogger("vf_train")

ROOT = Path(__file__).resolve().parents[1]
MODEL_OUT = ROOT / "src" / "cardiowatch" / "models" / "vf_detector.json"
RESULTS_OUT = ROOT / "training" / "results" / "vf_cv.json"
WINDOW_S, HOP_S = 4.0, 1.0
NOISY_SNR_DB = (12.0, 6.0, 0.0)
N_FOLDS = 5
#: Ensembles tried: (lags of context windows, tree depth, trees).
ENSEMBLES = (((2, 4), 3, 100), ((2, 4, 8), 3, 100))
LEARNING_RATE = 0.1
THRESHOLDS = (0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
HYSTERESIS = ((1, 1), (1, 2), (2, 2), (2, 3), (3, 3))
#: Window geometry only (one leaf): feature extraction does not use the trees.
GEOMETRY = VfModel(FEATURE_NAMES, (), (-1,), (0.0,), (0,), (0,), (0.0,), (0,), 1, 0.0, 0.5, 1, 1, WINDOW_S, HOP_S)


@dataclass
class Item:
    """One signal's windows: features, quality, per-second labels, group and kind."""

    name: str
    group: str
    kind: str  #: "clean", "noisy@<snr>", "noise"
    fs: float
    ends: np.ndarray
    features: np.ndarray
    quality: tuple
    labels: np.ndarray  #: per-second RhythmLabel
    window: int

    @property
    def window_labels(self) -> tuple[np.ndarray, np.ndarray]:
        """Label of each window's last second and whether all its seconds share it."""
        last = np.minimum((self.ends // self.fs).astype(np.int64) - 1, self.labels.size - 1)
        n = int(round(WINDOW_S / HOP_S))
        idx = np.clip(last[:, None] - np.arange(n)[None, :], 0, self.labels.size - 1)
        lab = self.labels[last]
        pure = (self.labels[idx] == lab[:, None]).all(axis=1)
        return lab, pure


def _item(name: str, group: str, kind: str, x: np.ndarray, fs: float, labels: np.ndarray) -> Item:
    f = ecg_vf_features(x, fs=fs, model=GEOMETRY)
    return Item(name, group, kind, fs, f.ends, f.features, f.quality, labels, f.window)


def collect(cache: Path | None) -> list[Item]:
    """Every training signal's windows (cached: extraction is the slow part)."""
    if cache is not None and cache.is_file():
        with cache.open("rb") as fh:
            return [Item(**d) for d in pickle.load(fh)]
    items: list[Item] = []
    noise = {n: noise_part(n, "train") for n in ("em", "ma", "bw")}
    for name, (x, fs) in noise.items():
        n_sec = int(x.size // fs)
        items.append(_item(f"nstdb/{name}", f"nstdb/{name}", "noise", x, fs,
                           np.full(n_sec, RhythmLabel.OTHER, dtype=np.int8)))
    for name in list_records("cudb"):
        rec = read_record("cudb", name)
        items.append(_item(f"cudb/{name}", f"cudb/{name}", "clean", rec.signals[rec.ecg_lead()], rec.fs,
                           vf_reference_seconds(rec)))
    for name in sorted(MITDB_DS1 + MITDB_PACED):
        rec = read_record("mitdb", name)
        x = rec.signals[rec.ecg_lead()]
        labels = vf_reference_seconds(rec)
        items.append(_item(f"mitdb/{name}", f"mitdb/{name}", "clean", x, rec.fs, labels))
        ptp = qrs_amplitude(x, rec.annotations.beats().sample, fs=rec.fs)
        for (nname, (n, nfs)), snr in itertools.product(
            [(k, noise[k]) for k in ("em", "ma")], NOISY_SNR_DB
        ):
            if nfs != rec.fs:
                raise ValueError(f"noise {nname} at {nfs} Hz, mitdb at {rec.fs} Hz")
            items.append(_item(f"mitdb/{name}+{nname}@{snr:g}dB", f"mitdb/{name}", f"noisy@{snr:g}",
                               noise_add_at_snr(x, n, snr, qrs_ptp=ptp), rec.fs, labels))
        logger.info("features of mitdb %s done", name)
    if cache is not None:
        with cache.open("wb") as fh:
            pickle.dump([vars(it) for it in items], fh)  # plain dicts: readable from any importer
    return items


def inputs(it: Item, lags: tuple[int, ...]) -> np.ndarray:
    """The model inputs of every window of ``it``, context as the detector builds it from the input's start."""
    return vf_context(np.zeros((0, len(FEATURE_NAMES))), it.features, lags)


def fit(items: list[Item], lags: tuple[int, ...], depth: int, n_trees: int) -> VfModel:
    """Boosted trees on the pure, usable, labelled windows of ``items`` (rule left at defaults)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    xs, ys = [], []
    for it in items:
        lab, pure = it.window_labels
        use = pure & (lab != RhythmLabel.UNLABELLED) & np.array([q is None for q in it.quality], dtype=bool)
        xs.append(inputs(it, lags)[use])
        ys.append(np.isin(lab[use], [RhythmLabel.VF, RhythmLabel.RAPID_VT]))
    x, y = np.vstack(xs), np.concatenate(ys)
    clf = HistGradientBoostingClassifier(max_depth=depth, max_iter=n_trees, learning_rate=LEARNING_RATE,
                                         class_weight="balanced", early_stopping=False, random_state=0)
    clf.fit(x, y)
    model = export(clf, lags, depth)
    check = np.random.default_rng(0).choice(x.shape[0], size=min(5000, x.shape[0]), replace=False)
    if not np.allclose(model.score(x[check]), clf.predict_proba(x[check])[:, 1], atol=1e-9):
        raise RuntimeError("exported trees disagree with scikit-learn")
    return model


def export(clf, lags: tuple[int, ...], depth: int) -> VfModel:
    """Flatten scikit-learn's histogram gradient boosting trees into `VfModel`'s node arrays.

    Reads ``_predictors`` and ``_baseline_prediction`` (scikit-learn internals: no public accessor);
    `fit` checks the result against ``predict_proba``.
    """
    feature, split, left, right, value, roots = [], [], [], [], [], []
    for (tree,) in clf._predictors:
        base = len(feature)
        roots.append(base)
        for node in tree.nodes:
            leaf = bool(node["is_leaf"])
            feature.append(-1 if leaf else int(node["feature_idx"]))
            split.append(0.0 if leaf else float(node["num_threshold"]))
            left.append(base if leaf else base + int(node["left"]))
            right.append(base if leaf else base + int(node["right"]))
            value.append(float(node["value"]) if leaf else 0.0)
    return VfModel(FEATURE_NAMES, tuple(lags), tuple(feature), tuple(split), tuple(left), tuple(right),
                   tuple(value), tuple(roots), depth + 1, float(np.ravel(clf._baseline_prediction)[0]),
                   0.5, 1, 1, WINDOW_S, HOP_S)


def folds(items: list[Item]) -> dict[str, int]:
    """Group -> fold, balanced so each fold gets a share of the cudb VF records and the mitdb VT ones."""
    groups = sorted({it.group for it in items})
    rng = np.random.default_rng(20261207)
    order = rng.permutation(len(groups))
    return {groups[i]: k % N_FOLDS for k, i in enumerate(order)}


def oof_scores(items: list[Item], ensemble: tuple) -> list[np.ndarray]:
    """Every window's score from the model of the folds that did not hold its record."""
    fold_of = folds(items)
    scores: list[np.ndarray] = [np.zeros(0)] * len(items)
    for k in range(N_FOLDS):
        model = fit([it for it in items if fold_of[it.group] != k], *ensemble)
        for i, it in enumerate(items):
            if fold_of[it.group] == k:
                scores[i] = model.score(inputs(it, model.lags))
    return scores


def replay(items: list[Item], scores: list[np.ndarray], thr: float, n_enter: int, n_exit: int) -> dict:
    """Per-second figures of one rule on out-of-fold scores, by kind of signal."""
    by_kind: dict[str, list] = {}
    for it, s in zip(items, scores):
        ev = vf_events(it.ends, s, it.quality, threshold=thr, window=it.window,
                       hop=int(round(HOP_S * it.fs)), state=VfHysteresis(n_enter, n_exit))
        by_kind.setdefault(it.kind, []).append(vf_score_record(it.name, it.labels, ev, it.fs))
    out = {kind: VfReport(tuple(r)).to_dict() for kind, r in by_kind.items()}
    clean_mitdb_no_vf = [r for r in by_kind["clean"]
                         if r.name.startswith("mitdb/") and r.seconds["VF"] == 0]
    out["clean_mitdb_without_vf"] = VfReport(tuple(clean_mitdb_no_vf)).to_dict()
    return out


def objective(fig: dict) -> float:
    """VF Se minus the shortfalls from the targets (see the module docstring)."""
    clean = fig["clean"]["by_rhythm"]
    se = clean["VF"]["percent"]
    pen = 10 * max(0.0, 99.5 - clean["NSR"]["percent"]) + 3 * max(0.0, 97.0 - clean["OTHER"]["percent"])
    delay = fig["clean"]["delay_median_s"] or 99.0
    pen += 2 * max(0.0, delay - 5.0)
    pen += 5 * fig["clean_mitdb_without_vf"]["false_vf_alarms"]
    pen += 5 * max(0.0, fig["noisy@6"]["false_vf_alarms_per_hour"] - 1.0)
    return se - pen


def default_cache() -> Path:
    """Where the extracted features are kept between runs (outside the repository)."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / "vf_train.pkl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=default_cache())
    args = parser.parse_args()
    items = collect(args.cache)
    logger.info("%d signals, %d windows", len(items), sum(it.ends.size for it in items))
    tried = []
    best = None
    for ensemble in ENSEMBLES:
        scores = oof_scores(items, ensemble)
        for thr, (n_enter, n_exit) in itertools.product(THRESHOLDS, HYSTERESIS):
            fig = replay(items, scores, thr, n_enter, n_exit)
            obj = objective(fig)
            row = {"lags": list(ensemble[0]), "depth": ensemble[1], "trees": ensemble[2], "threshold": thr, "n_enter": n_enter, "n_exit": n_exit, "objective": round(obj, 4),
                   "vf_se": fig["clean"]["by_rhythm"]["VF"]["percent"],
                   "nsr_sp": fig["clean"]["by_rhythm"]["NSR"]["percent"],
                   "other_sp": fig["clean"]["by_rhythm"]["OTHER"]["percent"],
                   "delay_median_s": fig["clean"]["delay_median_s"],
                   "false_clean_mitdb": fig["clean_mitdb_without_vf"]["false_vf_alarms"],
                   "false_per_h_6db": fig["noisy@6"]["false_vf_alarms_per_hour"]}
            tried.append(row)
            if best is None or obj > best[0]:
                best = (obj, row, fig)
        logger.info("%s: best so far %s", ensemble, best[1])
    _, row, fig = best
    model = dataclasses.replace(fit(items, tuple(row["lags"]), row["depth"], row["trees"]),
                                threshold=float(row["threshold"]), n_enter=int(row["n_enter"]),
                                n_exit=int(row["n_exit"]))
    model_text = json.dumps(model.to_dict(), indent=1) + "\n"
    MODEL_OUT.write_text(model_text)
    RESULTS_OUT.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_OUT.write_text(json.dumps({
        "command": "PYTHONPATH=src python training/vf_train.py",
        "model_sha256": hashlib.sha256(model_text.encode()).hexdigest(),
        "protocol": f"{N_FOLDS}-fold cross-validation grouped by record; rule replayed on out-of-fold scores",
        "chosen": row, "out_of_fold": fig, "tried": tried,
    }, indent=1) + "\n")
    logger.info("chosen %s", row)
    logger.info("out of fold: %s", json.dumps(fig["clean"]))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
