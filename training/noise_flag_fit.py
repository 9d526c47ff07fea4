"""Fit the ECG noise score of `cardiowatch.signal.ecg_sqi` on DS1 and the training half of nstdb noise.

Usage::

    PYTHONPATH=src .venv/bin/python training/noise_flag_fit.py

Data: the 22 DS1 records of mitdb (MLII), clean, and noisy copies with the training half (first half,
channel noise1) of nstdb ``em`` and ``ma`` at 6 and 0 dB on nstdb's schedule (clean 5 min, then 2 min
on / 2 min off; `cardiowatch.evaluate.noise_stress`). A window wholly inside noise is positive; every
window of clean signal (the clean records and the noise-off stretches of the copies) negative; windows
across an edge are left out. Logistic regression with balanced classes on standardised indices,
written back in the indices' own units; the threshold is the 99.5th percentile of the smoothed score
over the negative windows. Prints the constants to paste into ``ecg_sqi.py``. DS2 and the evaluation
half of the noise are never read.
"""

from __future__ import annotations

import logging
import sys

import numpy as np

from cardiowatch.data import MITDB_DS1, read_record
from cardiowatch.evaluate.noise_stress import NoisePart, noise_stress_copy
from cardiowatch.signal.ecg_sqi import EcgNoiseIndex

logger = logging.getLogger("training.noise_flag_fit")

NOISES = ("em", "ma")
SNRS_DB = (6.0, 0.0)
#: Share of clean windows left above the threshold.
CLEAN_FLAGGED_PERCENT = 0.5


def window_indices(x: np.ndarray, on: np.ndarray, *, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of every block and its label: 1 in noise, 0 clean, -1 across an edge or without indices."""
    index = EcgNoiseIndex(fs=fs)
    ends, indices = index.process_indices(x)
    window = index.window_
    cum = np.concatenate([[0], np.cumsum(on)])
    share = (cum[ends] - cum[ends - window]) / window
    label = np.where(share == 1, 1, np.where(share == 0, 0, -1))
    label[np.isnan(indices).any(axis=1)] = -1
    return indices, label


def main() -> int:
    from sklearn.linear_model import LogisticRegression

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    copies: list[tuple[np.ndarray, np.ndarray, float]] = []
    conditions: list[str] = []
    for name in MITDB_DS1:
        rec = read_record("mitdb", name)
        x = rec.signals[rec.ecg_lead()]
        beats = rec.annotations.beats().sample  # type: ignore[union-attr]
        copies.append((*window_indices(x, np.zeros(x.size, dtype=bool), fs=rec.fs), rec.fs))
        conditions.append("clean")
        for noise in NOISES:
            for snr in SNRS_DB:
                y, on = noise_stress_copy(x, beats, fs=rec.fs, noise=noise, snr_db=snr, part=NoisePart.TRAIN)
                copies.append((*window_indices(y, on, fs=rec.fs), rec.fs))
                conditions.append(f"{noise} {snr:g} dB")
        logger.info("DS1 %s done", name)
    feats = np.vstack([c[0] for c in copies])
    labels = np.concatenate([c[1] for c in copies])
    keep = labels >= 0
    mu, sd = feats[keep].mean(axis=0), feats[keep].std(axis=0)
    model = LogisticRegression(max_iter=2000, class_weight="balanced")
    model.fit((feats[keep] - mu) / sd, labels[keep])
    weights = model.coef_[0] / sd
    intercept = float(model.intercept_[0] - np.sum(model.coef_[0] * mu / sd))
    negatives, positives = [], []
    for indices, label, fs in copies:
        scores = EcgNoiseIndex(fs=fs, weights=weights, intercept=intercept).score_indices(indices)
        negatives.append(scores[label == 0])
        positives.append(scores[label == 1])
    neg, pos = np.concatenate(negatives), np.concatenate(positives)
    threshold = float(np.percentile(neg[np.isfinite(neg)], 100 - CLEAN_FLAGGED_PERCENT))
    logger.info("noisy windows above the threshold: %.1f %%", 100 * np.mean(pos > threshold))
    for condition in dict.fromkeys(conditions):
        mine = [i for i, c in enumerate(conditions) if c == condition]
        flagged = np.concatenate([positives[i] > threshold for i in mine])
        clean = np.concatenate([negatives[i] > threshold for i in mine])
        logger.info("%s: noise windows flagged %.1f %%, clean windows flagged %.2f %%", condition,
                    100 * flagged.mean() if flagged.size else float("nan"), 100 * clean.mean())
    sys.stdout.write(
        f"NOISE_WEIGHTS = np.array({np.round(weights, 6).tolist()})\n"
        f"NOISE_INTERCEPT = {intercept:.6f}\nNOISE_THRESHOLD = {threshold:.6f}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
