"""Where the VF detector loses sensitivity, and options tried against it (the table in models/vf_detector.md).

Usage::

    nice -n 10 python -m training.scripts.vf_sensitivity_options missed
    nice -n 10 python -m training.scripts.vf_sensitivity_options option NAME

Development records only, with the folds, the fitting and the per-second scorer of `training.vf_train`
(mitdb DS2 is never read). ``missed`` counts, per record, the VF windows (all four seconds VF) that were
not judged (quality flag) and those judged below the shipped threshold, from the out-of-fold scores of
the shipped ensemble, then replays lower thresholds to show what they would cost. ``option`` rebuilds the features with one change and prints the out-of-fold
figures of the shipped rule grid and of the rule `training.vf_train.objective` prefers:

``extra-features``
    five more features per window: Jekova's count2 and count3, the power share within 0.8 Hz of the
    dominant frequency and below 2.5 Hz, and the smallest over the largest mean magnitude of the window's
    four quarters.
``missing-0.3``
    windows are judged up to 30 % non-finite samples (instead of 10 %): cudb marks samples beyond its
    ADC range invalid, mostly at the peaks of coarse VF.
``depth-4``
    60 trees of depth <= 4 instead of 100 of depth <= 3 (about the same number of nodes).
``stated-cudb-only``
    the trees learn cudb's non-VF seconds only where a rhythm note states them: the seconds cudb leaves
    unstated (scored as "other") hold VT and flutter-like stretches before many VF onsets. Scoring is
    unchanged.

Features are cached under ``$TMPDIR`` per option (each build ~1-4 min); the out-of-fold fit ~1-2 min.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import logging
import os
from pathlib import Path

import numpy as np

import training.vf_train as vt
from cardiowatch.evaluate.vf import RhythmLabel
from cardiowatch.signal import vf

logger = logging.getLogger("vf_sensitivity_options")
SHIPPED_ENSEMBLE = ((2, 4, 8), 3, 100)
EXTRA_NAMES = ("count2", "count3", "peak_share", "low_share", "amp_ratio")
#: Thresholds the ``missed`` report replays with the shipped hysteresis: what the false alarms cost.
SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98)
RULES = tuple(itertools.product((0.9, 0.95, 0.97, 0.98, 0.99), ((2, 3), (3, 3))))


def _extra_features(x: np.ndarray, *, fs: float) -> np.ndarray:
    """The shipped features followed by the five of ``extra-features`` (rows of filtered windows)."""
    base = _shipped_window_features(x, fs=fs)
    n_win, n = x.shape
    x = x - x.mean(axis=1, keepdims=True)
    mag = np.abs(x)
    mean_mag = mag.mean(axis=1, keepdims=True)
    spread = np.abs(mag - mean_mag).mean(axis=1, keepdims=True)
    spec = np.abs(np.fft.rfft(x * np.hanning(n), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    band = (freqs >= vf.SPECTRUM_HZ[0]) & (freqs <= vf.SPECTRUM_HZ[1])
    p, f = spec[:, band], freqs[band]
    total = p.sum(axis=1) + vf._EPS
    dom = f[np.argmax(p, axis=1)][:, None]
    seg = n // 4
    seg_mag = mag[:, : seg * 4].reshape(n_win, 4, seg).mean(axis=2)
    extra = np.column_stack([
        (mag > mean_mag).mean(axis=1),
        (np.abs(mag - mean_mag) <= spread).mean(axis=1),
        (p * (np.abs(f[None, :] - dom) <= 0.8)).sum(axis=1) / total,
        p[:, f < vf.VF_BAND_HZ[0]].sum(axis=1) / total,
        seg_mag.min(axis=1) / (seg_mag.max(axis=1) + vf._EPS),
    ])
    return np.hstack([base, extra])


_shipped_window_features = vf.window_features


def _apply(option: str) -> None:
    if option == "extra-features":
        names = vf.FEATURE_NAMES + EXTRA_NAMES
        vf.window_features = _extra_features  # type: ignore[assignment]
        vf.FEATURE_NAMES = vt.FEATURE_NAMES = names  # type: ignore[misc]
        vt.GEOMETRY = dataclasses.replace(vt.GEOMETRY, features=names)
    elif option == "missing-0.3":
        vf.MISSING_MAX_SHARE = 0.30
    elif option == "stated-cudb-only":
        shipped_fit = vt.fit

        def fit_stated(items, *ensemble):
            kept = []
            for it in items:
                if it.name.startswith("cudb/"):
                    labels = it.labels.copy()
                    labels[labels == RhythmLabel.OTHER] = RhythmLabel.UNLABELLED
                    it = dataclasses.replace(it, labels=labels)
                kept.append(it)
            return shipped_fit(kept, *ensemble)

        vt.fit = fit_stated
    elif option not in ("shipped", "depth-4"):
        raise SystemExit(f"unknown option {option!r}")


def _cache(option: str) -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"vf_options_{option}.pkl"


def _figures(fig: dict) -> str:
    clean = fig["clean"]
    by = clean["by_rhythm"]
    return (f"VF Se {by['VF']['percent']:.2f} ({by['VF']['seconds']} s), rapid VT Se {by['RAPID_VT']['percent']:.2f}, "
            f"NSR Sp {by['NSR']['percent']:.3f}, other Sp {by['OTHER']['percent']:.3f}, "
            f"median delay {clean['delay_median_s']} s, false alarms clean mitdb "
            f"{fig['clean_mitdb_without_vf']['false_vf_alarms']}, at 6 dB {fig['noisy@6']['false_vf_alarms_per_hour']}/h")


def option(name: str) -> None:
    _apply(name)
    items = vt.collect(_cache(name if name in ("extra-features", "missing-0.3") else "shipped"))
    ensemble = ((2, 4, 8), 4, 60) if name == "depth-4" else SHIPPED_ENSEMBLE
    scores = vt.oof_scores(items, ensemble)
    best = None
    for thr, (n_enter, n_exit) in RULES:
        fig = vt.replay(items, scores, thr, n_enter, n_exit)
        obj = vt.objective(fig)
        print(f"{name}: threshold {thr}, enter {n_enter}, exit {n_exit}: objective {obj:.2f}; {_figures(fig)}")
        if best is None or obj > best[0]:
            best = (obj, thr, n_enter, n_exit, fig)
    obj, thr, n_enter, n_exit, fig = best
    print(f"BEST {name}: threshold {thr}, enter {n_enter}, exit {n_exit}: objective {obj:.2f}; {_figures(fig)}")


def missed() -> None:
    items = vt.collect(_cache("shipped"))
    scores = vt.oof_scores(items, SHIPPED_ENSEMBLE)
    model = vf.VfModel.load_shipped(features=vf.FEATURE_NAMES)
    rows = []
    for it, s in zip(items, scores):
        lab, pure = it.window_labels
        in_vf = (lab == RhythmLabel.VF) & pure
        if it.kind != "clean" or not in_vf.any():
            continue
        usable = np.array([q is None for q in it.quality], dtype=bool)
        low = in_vf & usable & (s < model.threshold)
        rows.append((int(low.sum() + (in_vf & ~usable).sum()), it.name, int(in_vf.sum()),
                     int((in_vf & ~usable).sum()), int(low.sum()), int((low & (s >= 0.5)).sum())))
    print("record, VF windows, not judged (quality), judged below threshold (of which score >= 0.5)")
    for _, name, n, bad, low, mid in sorted(rows, reverse=True):
        print(f"{name}: {n}, {bad}, {low} ({mid})")
    totals = np.array([r[2:] for r in rows]).sum(axis=0)
    print(f"all: {totals[0]}, {totals[1]}, {totals[2]} ({totals[3]})")
    for thr in SWEEP:
        fig = vt.replay(items, scores, thr, model.n_enter, model.n_exit)
        print(f"shipped ensemble, threshold {thr}, enter {model.n_enter}, exit {model.n_exit}: {_figures(fig)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("missed")
    opt = sub.add_parser("option")
    opt.add_argument("name", choices=("shipped", "extra-features", "missing-0.3", "depth-4", "stated-cudb-only"))
    args = parser.parse_args()
    if args.what == "missed":
        missed()
    else:
        option(args.name)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
