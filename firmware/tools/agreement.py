"""C-vs-Python agreement of the firmware core's detectors on real PhysioNet records.

Runs the host build's command-line tools (``build/firmware-host/cw_*_cli``) and the Python reference
on the same integer samples and counts the beats that agree within one sample.

Usage (from the repository root, after the host build, e.g. ``python firmware/tools/fwbuild.py``)::

    .venv/bin/python firmware/tools/agreement.py qrs            # all 48 mitdb records
    .venv/bin/python firmware/tools/agreement.py qrs --write    # ... into docs/benchmarks.md
    .venv/bin/python firmware/tools/agreement.py ppgq --write   # PPG quality windows, all 53 bidmc records
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
HOST_DIR = ROOT / "build" / "firmware-host"
#: int16 counts per mV fed to both detectors (mitdb's ADC: 200 units per mV); the detectors are
#: scale-invariant, this only has to keep the signal inside int16.
COUNTS_PER_MV = 200.0
TOLERANCE_SAMPLES = 1

log = logging.getLogger("agreement")


@dataclass(frozen=True)
class Agreement:
    """Beats of two detectors on one record; ``matched`` pairs lie within the tolerance."""

    record: str
    n_python: int
    n_c: int
    matched: int

    @property
    def fraction(self) -> float:
        """Matched pairs over all distinct beats (a beat only one side found counts against)."""
        union = self.n_python + self.n_c - self.matched
        return self.matched / union if union else 1.0


def match_within(a: np.ndarray, b: np.ndarray, tolerance: int = TOLERANCE_SAMPLES) -> int:
    """Number of one-to-one pairs (greedy in time order) of sorted ``a`` and ``b`` within ``tolerance``."""
    i = j = matched = 0
    while i < len(a) and j < len(b):
        if abs(int(a[i]) - int(b[j])) <= tolerance:
            matched += 1
            i += 1
            j += 1
        elif a[i] < b[j]:
            i += 1
        else:
            j += 1
    return matched


def run_c(kind: str, counts: np.ndarray, *, fs: float, cuts: list[int] | None = None,
          host_dir: Path = HOST_DIR) -> np.ndarray:
    """Events of a C detector (``cw_detect_cli qrs|ppg``) fed ``counts`` in chunks cycling through ``cuts``."""
    args = [str(host_dir / "cw_detect_cli"), kind, str(int(round(fs))), *map(str, cuts or [64])]
    proc = subprocess.run(args, input=np.asarray(counts, dtype="<i2").tobytes(), capture_output=True,
                          check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"cw_detect_cli exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return np.array(proc.stdout.split(), dtype=np.int64)


def run_c_qrs(counts: np.ndarray, *, fs: float, cuts: list[int] | None = None,
              host_dir: Path = HOST_DIR) -> np.ndarray:
    """Beats of the C QRS detector."""
    return run_c("qrs", counts, fs=fs, cuts=cuts, host_dir=host_dir)


def mitdb_counts(record: str) -> tuple[np.ndarray, float]:
    """The record's ECG lead as int16 counts and its sampling rate."""
    from cardiowatch.data import read_record

    rec = read_record("mitdb", record)
    x = np.asarray(rec.signals[rec.ecg_lead()], dtype=np.float64)
    return _to_int16(x * COUNTS_PER_MV, f"mitdb {record} ECG"), rec.fs


#: int16 counts per unit of BIDMC's PLETH (it reaches 4.0 in some records); the detector is scale-free.
PLETH_COUNTS = 8000.0


def _to_int16(x: np.ndarray, what: str) -> np.ndarray:
    """Round to int16, refusing values that would wrap (a wrapped signal agrees with itself, uselessly)."""
    counts = np.round(np.nan_to_num(x))
    if counts.size and (counts.max() > 32767 or counts.min() < -32768):
        raise ValueError(f"{what}: values {counts.min():.0f}..{counts.max():.0f} do not fit int16")
    return counts.astype(np.int16)


def bidmc_counts(record: str) -> tuple[np.ndarray, float]:
    """The record's PLETH signal as int16 counts and its sampling rate."""
    from cardiowatch.data import read_record

    rec = read_record("bidmc", record)
    x = np.asarray(rec.signals["PLETH"], dtype=np.float64)
    return _to_int16(x * PLETH_COUNTS, f"bidmc {record} PLETH"), rec.fs


def ppg_agreement(record: str, host_dir: Path = HOST_DIR) -> Agreement:
    """Run both PPG pulse detectors over one BIDMC record's PLETH."""
    from cardiowatch.signal.ppg import ppg_find_pulses

    counts, fs = bidmc_counts(record)
    py = ppg_find_pulses(counts.astype(np.float64), fs=fs)
    c = run_c("ppg", counts, fs=fs, host_dir=host_dir)
    return Agreement(record, len(py), len(c), match_within(py, c))


def qrs_agreement(record: str, host_dir: Path = HOST_DIR) -> Agreement:
    """Run both QRS detectors over one mitdb record."""
    from cardiowatch.signal.qrs import ecg_find_beats

    counts, fs = mitdb_counts(record)
    py = ecg_find_beats(counts.astype(np.float64), fs=fs)
    c = run_c_qrs(counts, fs=fs, host_dir=host_dir)
    return Agreement(record, len(py), len(c), match_within(py, c))


@dataclass(frozen=True)
class RhythmAgreement:
    """AF-model windows of one record: how many, on how many C and Python decide the same."""

    record: str
    n_windows: int
    same_decision: int
    max_abs_score_diff: float
    same_features: int


def run_c_rhythm(beats: np.ndarray, *, fs: float, host_dir: Path = HOST_DIR) -> np.ndarray:
    """Rows ``[closing beat, AF score, features...]`` of every window the C rhythm tracker completes."""
    from cardiowatch.rhythm.intervals import FEATURE_NAMES

    proc = subprocess.run([str(host_dir / "cw_rhythm_cli"), repr(float(fs))],
                          input="\n".join(map(str, np.asarray(beats, dtype=np.int64))).encode(),
                          capture_output=True, check=False, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"cw_rhythm_cli exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    rows = np.array(proc.stdout.split(), dtype=np.float64)
    n_cols = 2 + len(FEATURE_NAMES)
    return rows.reshape(-1, n_cols) if rows.size else np.empty((0, n_cols))


def rhythm_agreement(database: str, record: str, host_dir: Path = HOST_DIR) -> RhythmAgreement:
    """C vs Python AF-model windows over the reference beat annotations of one record."""
    from cardiowatch.data import read_annotations
    from cardiowatch.rhythm.intervals import rr_intervals, rr_window_features
    from cardiowatch.rhythm.model import load_af_model

    ann = read_annotations(database, record).beats()
    beats = np.unique(np.asarray(ann.sample, dtype=np.int64))
    model = load_af_model()
    rr, valid = rr_intervals(beats, fs=ann.fs)
    features = rr_window_features(rr[valid], window=model.window)
    score_py = model.af_score(features) if len(features) else np.empty(0, dtype=np.float32)
    c = run_c_rhythm(beats, fs=ann.fs, host_dir=host_dir)
    n = min(len(score_py), len(c))
    if len(score_py) != len(c):
        log.warning("%s/%s: python %d windows, c %d", database, record, len(score_py), len(c))
    score_c = c[:n, 1].astype(np.float32)
    same = int(np.sum((score_c >= model.enter_score) == (score_py[:n] >= model.enter_score)))
    same_features = int(np.sum(np.all(c[:n, 2:].astype(np.float32) == features[:n], axis=1)))
    diff = float(np.max(np.abs(score_c - score_py[:n]))) if n else 0.0
    return RhythmAgreement(record, max(len(score_py), len(c)), same, diff, same_features)


@dataclass(frozen=True)
class QualityAgreement:
    """PPG quality windows of one record: how many, on how many C and Python give the same label."""

    record: str
    n_windows: int
    same: int
    confusion: dict[tuple[str, str], int]


def run_c_quality(counts: np.ndarray, *, fs: float, cuts: list[int] | None = None,
                  host_dir: Path = HOST_DIR) -> list[tuple[int, int, str]]:
    """Windows ``(start, length, label)`` of the C PPG quality stage (``cw_detect_cli ppgq``)."""
    args = [str(host_dir / "cw_detect_cli"), "ppgq", str(int(round(fs))), *map(str, cuts or [64])]
    proc = subprocess.run(args, input=np.asarray(counts, dtype="<i2").tobytes(), capture_output=True,
                          check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"cw_detect_cli exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    rows = [line.split() for line in proc.stdout.decode().splitlines()]
    return [(int(a), int(b), label) for a, b, label in rows]


def python_quality_windows(x: np.ndarray, *, fs: float) -> list[tuple[int, str]]:
    """``(start, label)`` of every window ``PpgSignalQuality`` rates (its segments cut back into windows)."""
    from cardiowatch.signal.ppg_quality import PpgSignalQuality

    q = PpgSignalQuality(fs=fs).reset()
    segments = q.process(np.asarray(x, dtype=np.float64)) + q.flush()
    out = []
    for start in range(0, len(x), q.window_):
        seg = next(s for s in segments if s.start <= start < s.end)
        out.append((start, seg.label.value))
    return out


def ppg_quality_agreement(record: str, host_dir: Path = HOST_DIR) -> QualityAgreement:
    """Run both PPG quality stages over one BIDMC record's PLETH; compare the label of each window."""
    counts, fs = bidmc_counts(record)
    py = python_quality_windows(counts.astype(np.float64), fs=fs)
    c = run_c_quality(counts, fs=fs, host_dir=host_dir)
    c_by_start = {start: label for start, _, label in c}
    if [s for s, _ in py] != [s for s, _, _ in c]:
        log.warning("%s: the window starts differ (python %d windows, c %d)", record, len(py), len(c))
    confusion: dict[tuple[str, str], int] = {}
    for start, label in py:
        key = (label, c_by_start.get(start, "none"))
        confusion[key] = confusion.get(key, 0) + 1
    same = sum(n for (a, b), n in confusion.items() if a == b)
    return QualityAgreement(record, max(len(py), len(c)), same, confusion)


def _quality_main(records: list[str] | None, write: bool) -> int:
    from cardiowatch.data import list_records

    rows = []
    for record in records or list_records("bidmc"):
        row = ppg_quality_agreement(record)
        log.info("%s: %d windows, same label %d", record, row.n_windows, row.same)
        rows.append(row)
    n = sum(r.n_windows for r in rows)
    same = sum(r.same for r in rows)
    worst = min(rows, key=lambda r: r.same / max(r.n_windows, 1))
    totals: dict[str, int] = {}
    differ: dict[tuple[str, str], int] = {}
    for r in rows:
        for (a, b), k in r.confusion.items():
            totals[a] = totals.get(a, 0) + k
            if a != b:
                differ[(a, b)] = differ.get((a, b), 0) + k
    labels = ", ".join(f"{label} {k}" for label, k in sorted(totals.items(), key=lambda t: -t[1]))
    diffs = ", ".join(f"Python {a} / C {b}: {k}" for (a, b), k in sorted(differ.items(), key=lambda t: -t[1]))
    out = (f"PPG signal quality (`cw_ppg_quality` vs `signal/ppg_quality.py`, 2 s windows) on the PLETH of "
           f"{len(rows)} bidmc records at 125 Hz: the same label on {same} of {n} windows: "
           f"**{100 * same / max(n, 1):.2f} %** (target >= 99.5 %); worst record {worst.record} "
           f"{100 * worst.same / max(worst.n_windows, 1):.2f} %. Python labels: {labels}. "
           f"Disagreements: {diffs or 'none'}.\n\n"
           "Device states from the labels (docs/hardware.md): flat/missing -> no finger, clipped -> saturated, "
           "motion -> motion, low_perfusion -> weak, good -> good. The C stage keeps no sample buffer "
           "(`cw_ppg_quality_t` is in the size table above); a generated signal with every label "
           "(`tests/firmware/test_ppg_quality_agreement.py`) gets the same label from C and Python on every window.\n\n"
           "Made by `.venv/bin/python firmware/tools/agreement.py ppgq --write` "
           "(53 records, about 10 s on one core).\n")
    sys.stdout.write(out)
    if write:
        sys.path.insert(0, str(Path(__file__).parent))
        from fwbuild import write_benchmarks_part

        write_benchmarks_part("ppg-quality", out)
    return 0


def report(rows: list[Agreement], what: str, source: str, noun: str = "beats") -> str:
    n_py = sum(r.n_python for r in rows)
    n_c = sum(r.n_c for r in rows)
    matched = sum(r.matched for r in rows)
    pooled = Agreement("all", n_py, n_c, matched)
    worst = min(rows, key=lambda r: r.fraction)
    return (f"{what}: on {len(rows)} {source} records, {matched} of {n_py} Python {noun} and {n_c} C {noun} pair "
            f"within {TOLERANCE_SAMPLES} sample: **{100 * pooled.fraction:.2f} %** agreement (pooled; "
            f"target >= 99.5 %); worst record {worst.record} {100 * worst.fraction:.2f} %.\n")


def _rhythm_main(records: list[str] | None, write: bool) -> int:
    from cardiowatch.data import MITDB_ALL, list_records

    pairs = [tuple(r.split("/", 1)) for r in records] if records else (
        [("mitdb", r) for r in MITDB_ALL] + [("ltafdb", r) for r in list_records("ltafdb")])
    rows = []
    for database, record in pairs:
        row = rhythm_agreement(database, record)
        log.info("%s/%s: %d windows, same decision %d, max |d score| %.2g", database, record, row.n_windows,
                 row.same_decision, row.max_abs_score_diff)
        rows.append((database, row))
    text = []
    for database in dict.fromkeys(db for db, _ in rows):
        sel = [r for db, r in rows if db == database]
        n = sum(r.n_windows for r in sel)
        same = sum(r.same_decision for r in sel)
        feat = sum(r.same_features for r in sel)
        text.append(f"Rhythm model (`cw_rhythm` + `cw_rhythm_model.h` vs `rhythm/intervals.py` + `AfModel`) on the "
                    f"reference beats of {len(sel)} {database} records: the AF decision (score >= entry threshold) is the "
                    f"same on {same} of {n} windows: **{100 * same / max(n, 1):.3f} %** (target >= 99.5 %); "
                    f"float32 features identical on {100 * feat / max(n, 1):.3f} %; largest |score_C - score_Python| "
                    f"{max(r.max_abs_score_diff for r in sel):.2g}.")
    text.append("Made by `.venv/bin/python firmware/tools/agreement.py rhythm --write` (48 mitdb + 84 ltafdb records, "
                "about 7 min on one core).")
    out = "\n\n".join(text) + "\n"
    sys.stdout.write(out)
    if write:
        sys.path.insert(0, str(Path(__file__).parent))
        from fwbuild import write_benchmarks_part

        write_benchmarks_part("rhythm-agreement", out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="C-vs-Python agreement of the firmware detectors")
    parser.add_argument("what", choices=["qrs", "rhythm", "ppgq"])
    parser.add_argument("--records", nargs="*", help="default: every record of the database")
    parser.add_argument("--write", action="store_true", help="write the figure into docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from cardiowatch.data import MITDB_ALL

    if args.what == "rhythm":
        return _rhythm_main(args.records, args.write)
    if args.what == "ppgq":
        return _quality_main(args.records, args.write)
    rows = []
    for record in args.records or list(MITDB_ALL):
        row = qrs_agreement(record)
        log.info("%s: python %d, c %d, matched %d (%.2f %%)", record, row.n_python, row.n_c, row.matched,
                 100 * row.fraction)
        rows.append(row)
    text = report(rows, "QRS detector (`cw_qrs` vs `signal/qrs.py`)", "mitdb")
    sys.stdout.write(text)
    if args.write:
        sys.path.insert(0, str(Path(__file__).parent))
        from fwbuild import write_benchmarks_part

        write_benchmarks_part("qrs-agreement", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
