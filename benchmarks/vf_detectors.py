"""Shockable-rhythm detectors side by side, on the same windows and the same per-second scorer.

    PYTHONPATH=src python benchmarks/vf_detectors.py          # writes the "vf-detectors" section

Rows: the shipped detector (boosted trees over thirteen features with context, hysteresis) and two classic single-feature
detectors re-implemented on the same 4-s windows, 1-s hop: threshold crossing sample count (TCSC, Arafat
et al. 2009: VF when the share of samples above 0.2 of the window's peak is high) and VF-filter leakage
(Kuo & Dillman 1978: VF when the leakage is low). The single-feature thresholds are chosen the way the
shipped rule is, by the same record-wise folds on the training signals (the published values were set on
other window lengths and filters), and each window is judged alone (no hysteresis), as those papers do.

All figures are out of fold on the development data of ``training/vf_train.py`` (cudb, mitdb DS1 and
paced records, and those mitdb records with the evaluation-free *training* half of nstdb noise added);
the shipped row is the chosen rule's out-of-fold result.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records, read_record
from cardiowatch.evaluate.vf import RhythmLabel
from cardiowatch.signal.vf import VfDetector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_section import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("vf_detectors")


def _training_module():
    spec = importlib.util.spec_from_file_location("vf_train", ROOT / "training" / "vf_train.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  (dataclasses look their module up)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def single_feature_oof(train, items, column: int, sign: float) -> tuple[list[np.ndarray], list[float]]:
    """Out-of-fold 0/1 scores of ``sign * feature >= t``, t chosen per fold for the best balanced
    accuracy on the training folds' pure windows."""
    fold_of = train.folds(items)
    scores: list[np.ndarray] = [np.zeros(0)] * len(items)
    chosen = []
    for k in range(train.N_FOLDS):
        vals, ys = [], []
        for it in items:
            if fold_of[it.group] == k:
                continue
            lab, pure = it.window_labels
            use = pure & (lab != RhythmLabel.UNLABELLED) & np.array([q is None for q in it.quality])
            vals.append(sign * it.features[use, column])
            ys.append(np.isin(lab[use], [RhythmLabel.VF, RhythmLabel.RAPID_VT]))
        v, y = np.concatenate(vals), np.concatenate(ys)
        grid = np.quantile(v, np.linspace(0.01, 0.99, 197))
        bal = [0.5 * ((v[y] >= t).mean() + (v[~y] < t).mean()) for t in grid]
        t = float(grid[int(np.argmax(bal))])
        chosen.append(sign * t)
        for i, it in enumerate(items):
            if fold_of[it.group] == k:
                scores[i] = (sign * it.features[:, column] >= t).astype(float)
    return scores, chosen


def _row(name: str, fig: dict, note: str) -> str:
    c = fig["clean"]["by_rhythm"]
    pct = lambda d: "n/a" if d["percent"] is None else f"{d['percent']:.2f} ({d['seconds']} s)"  # noqa: E731
    delay = fig["clean"]["delay_median_s"]
    return (f"| {name} | {pct(c['VF'])} | {pct(c['RAPID_VT'])} | {pct(c['NSR'])} | {pct(c['OTHER'])} | "
            f"{'n/a' if delay is None else f'{delay:.0f}'} | {fig['clean_mitdb_without_vf']['false_vf_alarms']} | "
            f"{fig['noisy@6']['false_vf_alarms_per_hour']:.2f} | {fig['noisy@0']['false_vf_alarms_per_hour']:.2f} "
            f"| {note} |")


def live_speed(database: str, name: str) -> float:
    """Times real time of `VfDetector` fed one second at a time (as a device's frames arrive)."""
    rec = read_record(database, name)
    x = rec.signals[rec.ecg_lead()]
    det = VfDetector(fs=rec.fs)
    det.reset()
    step = int(rec.fs)
    start = time.perf_counter()
    for i in range(0, x.size, step):
        det.process(x[i : i + step])
    return rec.duration_s / (time.perf_counter() - start)


def c_agreement() -> str:
    """Share of windows whose C decisions equal Python's on the 61 development records (the agreement test's
    check, with its figures)."""
    spec = importlib.util.spec_from_file_location("vf_agreement", ROOT / "tests" / "firmware" / "test_vf_agreement.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    exe = Path(tempfile.mkdtemp()) / "cw_vf_cli"
    core = ROOT / "firmware" / "core"
    sources = [core / "cw_vf.c", core / "cw_iir.c", core / "cw_err.c", core / "tools" / "cw_vf_cli.c"]
    subprocess.run(["gcc", "-std=c99", "-O2", f"-I{core}", *map(str, sources), "-o", str(exe)], check=True)
    records = [("cudb", n) for n in list_records("cudb")] + [("mitdb", n) for n in sorted(MITDB_DS1 + MITDB_PACED)]
    rows = [module._agreement(exe, db, n) for db, n in records]
    same, total = sum(s for s, _ in rows), sum(t for _, t in rows)
    worst = min(s / t for s, t in rows)
    return (f"C (`firmware/core/cw_vf.c`, integer features, host gcc -O2) equals Python on {same} of {total} windows "
            f"({100 * same / total:.3f} %; lowest record {100 * worst:.2f} %) of the {len(rows)} development records.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", action="store_true", help="also measure C == Python (needs gcc; ~2 min)")
    args = parser.parse_args()
    train = _training_module()
    items = train.collect(train.default_cache())
    cv = json.loads((ROOT / "training" / "results" / "vf_cv.json").read_text())
    shipped = f"shipped (boosted trees, {len(train.FEATURE_NAMES)} features + windows {cv['chosen']['lags']} back)"
    rows = [_row(shipped, cv["out_of_fold"],
                 f"threshold {cv['chosen']['threshold']}, enter {cv['chosen']['n_enter']} / "
                 f"leave {cv['chosen']['n_exit']} windows")]
    names = train.FEATURE_NAMES
    for label, feature, sign in (("TCSC alone", "tcsc", 1.0), ("VF-filter leakage alone", "leakage", -1.0)):
        scores, chosen = single_feature_oof(train, items, names.index(feature), sign)
        fig = train.replay(items, scores, 0.5, 1, 1)
        op = ">=" if sign > 0 else "<="
        rows.append(_row(label, fig, f"VF when {feature} {op} t; t per fold {min(chosen):.3f}-{max(chosen):.3f}"))
        logger.info("%s: %s", label, json.dumps(fig["clean"]["by_rhythm"]))
    speed = {f"{db}/{n}": live_speed(db, n) for db, n in (("mitdb", "100"), ("cudb", "cu01"))}
    speed_line = ", ".join(f"{k} {v:.0f}x ({100 / v:.2f} % of one core)" for k, v in speed.items())
    text = "\n".join([
        "## Ventricular fibrillation detectors (side by side)",
        "",
        "Out of fold (5 folds grouped by record) on cudb (35 records), mitdb DS1 + paced records, and those mitdb",
        "records with the training half of nstdb em/ma noise at 12, 6, 0 dB; per-second scoring of",
        "`cardiowatch.evaluate.vf` (Se on VF and rapid-VT seconds, Sp on normal sinus and other seconds; the",
        "seconds behind each figure in brackets). Delay: median from VF onset to the VF state (s). False alarms:",
        "entries into the VF state on the 25 clean development mitdb records without VF, and per hour on all",
        "development mitdb records at 6 and 0 dB.",
        "Command: `PYTHONPATH=src python training/vf_train.py && PYTHONPATH=src python benchmarks/vf_detectors.py`.",
        "",
        "| detector | VF Se % | rapid VT Se % | NSR Sp % | other Sp % | delay s | false (clean) | false/h 6 dB "
        "| false/h 0 dB | rule |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Speed of the shipped detector fed 1-s chunks, on the machine that ran this: {speed_line} real time.",
        *(["", c_agreement() + " Command: `... benchmarks/vf_detectors.py --c`."] if args.c else []),
    ])
    write_section("vf-detectors", text)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
