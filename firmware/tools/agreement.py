"""C-vs-Python agreement of the firmware core's detectors on real PhysioNet records.

Runs the host build's command-line tools (``build/firmware-host/cw_*_cli``) and the Python reference
on the same integer samples and counts the beats that agree within one sample.

Usage (from the repository root, after the host build, e.g. ``python firmware/tools/fwbuild.py``)::

    .venv/bin/python firmware/tools/agreement.py qrs            # all 48 mitdb records
    .venv/bin/python firmware/tools/agreement.py qrs --write    # ... into docs/benchmarks.md
    .venv/bin/python firmware/tools/agreement.py ppgq --write   # PPG quality windows, all 53 bidmc records
    .venv/bin/python firmware/tools/agreement.py rhythm-state --write  # device AF state per beat, 84 ltafdb records
    .venv/bin/python firmware/tools/agreement.py vf --write     # VF decisions per window, 61 development records
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


# -- the device's AF state beat by beat ---------------------------------------------------------------
def run_c_rhythm_state(beats: np.ndarray, *, fs: float, host_dir: Path = HOST_DIR) -> np.ndarray:
    """The device's AF state (``cw_rhythm_in_af``) right after each beat, every beat fed to the C core in
    order as ``update_warning`` in ``firmware/src/main.cpp`` does (no reset)."""
    proc = subprocess.run([str(host_dir / "cw_rhythm_cli"), repr(float(fs)), "--states"],
                          input="\n".join(map(str, np.asarray(beats, dtype=np.int64))).encode(),
                          capture_output=True, check=False, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"cw_rhythm_cli exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    rows = np.array(proc.stdout.split(), dtype=np.int64).reshape(-1, 2)
    if len(rows) != len(beats):
        raise RuntimeError(f"cw_rhythm_cli gave {len(rows)} states for {len(beats)} beats")
    return rows[:, 1].astype(bool)


@dataclass(frozen=True)
class RhythmStateAgreement:
    """Per-beat AF of the device and of the Python tracker on one record, against each other and the reference.

    ``tracker``: the tracker's per-beat rhythm as `score_record` scores it (episodes dated back to their
    first beat); ``known``: the tracker's state as known at each beat (AF from the AF change's
    ``detected_sample`` to the next change's).
    """

    record: str
    n_beats: int
    ref_af: int  #: reference AF beats
    device_af: int
    tracker_af: int
    known_af: int
    same_tracker: int  #: beats where the device's state equals the tracker's dated-back one
    same_known: int  #: ... equals the tracker's state as known at that beat
    device_only_known: int  #: beats the device has in AF and the tracker-as-known not
    device_tp: int
    device_tn: int
    tracker_tp: int
    tracker_tn: int

    @property
    def burden_diff_pct(self) -> float:
        """Device minus tracker AF burden (percentage points of the record's beats)."""
        return 100.0 * (self.device_af - self.tracker_af) / max(self.n_beats, 1)


def known_rhythm(sample: np.ndarray, changes: list) -> np.ndarray:
    """Rhythm code of each beat as the tracker knew it then: each change applies from its ``detected_sample``."""
    if not changes:
        return np.full(len(sample), "", dtype=object)
    order = sorted(range(len(changes)), key=lambda i: changes[i].detected_sample)  # stable
    at = np.array([changes[i].detected_sample for i in order], dtype=np.int64)
    codes = np.array([changes[i].rhythm for i in order], dtype=object)
    idx = np.searchsorted(at, sample, side="right") - 1
    return np.where(idx >= 0, codes[np.maximum(idx, 0)], "").astype(object)


def rhythm_state_agreement(database: str, record: str, host_dir: Path = HOST_DIR) -> RhythmStateAgreement:
    """Device AF state (C) vs the tracker's per-beat AF (Python) over one record's reference beats, intervals only."""
    from cardiowatch.evaluate.rhythm import AF_RHYTHMS, beat_rhythm, load_beat_record
    from cardiowatch.rhythm.model import load_af_model
    from cardiowatch.rhythm.tracker import RhythmTracker

    rec = load_beat_record(database, record)
    af_codes = sorted(AF_RHYTHMS)
    tracker = RhythmTracker(fs=rec.fs, model=load_af_model())
    tracker.process(rec.sample)  # no beat classes: intervals only, as score_record(use_labels=False)
    tracker.flush()
    changes = tracker.changes()
    tracker_af = np.isin(beat_rhythm(rec.sample, changes), af_codes)
    known_af = np.isin(known_rhythm(rec.sample, changes), af_codes)
    device_af = run_c_rhythm_state(rec.sample, fs=rec.fs, host_dir=host_dir)
    ref_af = np.isin(rec.rhythm, af_codes)
    return RhythmStateAgreement(
        record=f"{database}/{record}", n_beats=len(rec.sample), ref_af=int(ref_af.sum()),
        device_af=int(device_af.sum()), tracker_af=int(tracker_af.sum()), known_af=int(known_af.sum()),
        same_tracker=int(np.sum(device_af == tracker_af)), same_known=int(np.sum(device_af == known_af)),
        device_only_known=int(np.sum(device_af & ~known_af)),
        device_tp=int(np.sum(device_af & ref_af)), device_tn=int(np.sum(~device_af & ~ref_af)),
        tracker_tp=int(np.sum(tracker_af & ref_af)), tracker_tn=int(np.sum(~tracker_af & ~ref_af)))


@dataclass(frozen=True)
class RhythmStateSummary:
    """`RhythmStateAgreement` rows pooled: the figures the report and the test use (fractions, not %)."""

    n_records: int
    n_beats: int
    differ_known: int  #: beats where the device and the tracker-as-known differ
    device_only_known: int  #: of them, those the device has in AF
    same_known: float
    same_tracker: float
    worst_known: tuple[str, float]
    worst_tracker: tuple[str, float]
    median_burden_diff_pct: float  #: median over records of |device - tracker| AF burden, points
    max_burden_diff: tuple[str, float]
    device_se: float
    device_sp: float
    tracker_se: float
    tracker_sp: float


def summarize_rhythm_state(rows: list[RhythmStateAgreement]) -> RhythmStateSummary:
    n = sum(r.n_beats for r in rows)
    ref_af = sum(r.ref_af for r in rows)
    worst_k = min(rows, key=lambda r: r.same_known / max(r.n_beats, 1))
    worst_t = min(rows, key=lambda r: r.same_tracker / max(r.n_beats, 1))
    diffs = [abs(r.burden_diff_pct) for r in rows]
    worst_b = max(rows, key=lambda r: abs(r.burden_diff_pct))

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    return RhythmStateSummary(
        n_records=len(rows), n_beats=n, differ_known=n - sum(r.same_known for r in rows),
        device_only_known=sum(r.device_only_known for r in rows),
        same_known=ratio(sum(r.same_known for r in rows), n),
        same_tracker=ratio(sum(r.same_tracker for r in rows), n),
        worst_known=(worst_k.record, ratio(worst_k.same_known, worst_k.n_beats)),
        worst_tracker=(worst_t.record, ratio(worst_t.same_tracker, worst_t.n_beats)),
        median_burden_diff_pct=float(np.median(diffs)),
        max_burden_diff=(worst_b.record, abs(worst_b.burden_diff_pct)),
        device_se=ratio(sum(r.device_tp for r in rows), ref_af),
        device_sp=ratio(sum(r.device_tn for r in rows), n - ref_af),
        tracker_se=ratio(sum(r.tracker_tp for r in rows), ref_af),
        tracker_sp=ratio(sum(r.tracker_tn for r in rows), n - ref_af))


def _rhythm_state_main(records: list[str] | None, write: bool) -> int:
    import time

    from cardiowatch.data import list_records

    t0 = time.perf_counter()
    pairs = [tuple(r.split("/", 1)) if "/" in r else ("ltafdb", r) for r in records] if records else (
        [("ltafdb", r) for r in list_records("ltafdb")])
    rows = []
    for database, record in pairs:
        row = rhythm_state_agreement(database, record)
        log.info("%s: %d beats, same as tracker-as-known %d, as dated-back tracker %d; AF beats device %d, "
                 "tracker %d, reference %d", row.record, row.n_beats, row.same_known, row.same_tracker,
                 row.device_af, row.tracker_af, row.ref_af)
        rows.append(row)
    s = summarize_rhythm_state(rows)
    counts: dict[str, int] = {}
    for database, _ in pairs:
        counts[database] = counts.get(database, 0) + 1
    databases = " + ".join(f"{k} {database}" for database, k in counts.items())
    minutes = (time.perf_counter() - t0) / 60
    out = (f"Device AF state (`cw_rhythm_in_af` after each beat: `cw_rhythm.c`'s confirmation, no look-back) vs "
           f"`RhythmTracker`'s per-beat AF (intervals only, as `score_record(use_labels=False)`) on the reference "
           f"beats of {databases} records ({s.n_beats} beats): the same state as the tracker knew it at that "
           f"beat (AF from each AF change's `detected_sample` to the next change's) on **{100 * s.same_known:.2f} "
           f"%** of beats (worst record {s.worst_known[0]} {100 * s.worst_known[1]:.2f} %; of the {s.differ_known} "
           f"beats that differ, {s.device_only_known} are AF on the device only, the rest AF on the tracker only); "
           f"the same as the tracker reports it (episodes dated back to their first beat) on "
           f"**{100 * s.same_tracker:.2f} %** (worst {s.worst_tracker[0]} {100 * s.worst_tracker[1]:.2f} %). "
           f"AF burden per record (% of beats), device vs tracker: median |difference| "
           f"{s.median_burden_diff_pct:.2f} points, largest {s.max_burden_diff[1]:.2f} ({s.max_burden_diff[0]}). "
           f"Against the reference rhythm (per beat, pooled): device Se {100 * s.device_se:.2f} % / Sp "
           f"{100 * s.device_sp:.2f} %, tracker Se {100 * s.tracker_se:.2f} % / Sp {100 * s.tracker_sp:.2f} % "
           f"(training records included: these compare the two, they are not held-out figures).\n\n"
           f"Made by `.venv/bin/python firmware/tools/agreement.py rhythm-state --write` (C: `cw_rhythm_cli "
           f"--states`; {databases} records, about "
           f"{max(1, round(minutes))} min on one core).\n")
    _print_and_write(out, part="rhythm-state", write=write)
    return 0


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
    """``(start, label)`` of every window ``PpgSignalQuality`` rates (its bad segments cut back into
    windows; a window outside them is ``good``, the C core's name for it)."""
    from cardiowatch.signal.ppg_quality import PpgSignalQuality

    q = PpgSignalQuality(fs=fs).reset()
    segments = q.process(np.asarray(x, dtype=np.float64)) + q.flush()
    out = []
    for start in range(0, len(x), q.window_):
        seg = next((s for s in segments if s.start <= start < s.end), None)
        out.append((start, "good" if seg is None else seg.flag.value))
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
    _print_and_write(out, part="ppg-quality", write=write)
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
    _print_and_write(out, part="rhythm-agreement", write=write)
    return 0


def _vf_main(records: list[str] | None, write: bool) -> int:
    """Per-window VF decisions of ``cw_vf_cli`` (host build) vs ``VfDetector``: the agreement test's check."""
    import importlib.util

    from cardiowatch.data import MITDB_DS1, MITDB_PACED, list_records

    spec = importlib.util.spec_from_file_location("vf_agreement", ROOT / "tests" / "firmware" / "test_vf_agreement.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    pairs = [tuple(r.split("/", 1)) for r in records] if records else (
        [("cudb", n) for n in list_records("cudb")] + [("mitdb", n) for n in sorted(MITDB_DS1 + MITDB_PACED)])
    rows = {f"{db}/{n}": module._agreement(HOST_DIR / "cw_vf_cli", db, n) for db, n in pairs}
    same, total = sum(s for s, _ in rows.values()), sum(t for _, t in rows.values())
    worst = min(rows, key=lambda k: rows[k][0] / rows[k][1])
    text = (f"VF detector (`cw_vf` + `cw_vf_model.h` vs `signal/vf.py` + `VfModel`, float32 input) on {len(rows)} "
            f"development records (cudb, mitdb DS1 + paced): shockable, VF state and quality the same on {same} of "
            f"{total} windows: **{100 * same / total:.3f} %** (target >= 99.5 % on every record); worst record "
            f"{worst} {100 * rows[worst][0] / rows[worst][1]:.2f} %.\n\n"
            "Made by `.venv/bin/python firmware/tools/agreement.py vf --write` (the sanitized host build's "
            "`cw_vf_cli`: about 18 min on a busy 2-core machine).\n")
    _print_and_write(text, part="vf-agreement", write=write)
    return 0


def _print_and_write(text: str, *, part: str, write: bool) -> None:
    """Print a figure's text and, with ``write``, put it into its part of docs/benchmarks.md."""
    sys.stdout.write(text)
    if write:
        sys.path.insert(0, str(Path(__file__).parent))
        from fwbuild import write_benchmarks_part

        write_benchmarks_part(part, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="C-vs-Python agreement of the firmware detectors")
    parser.add_argument("what", choices=["qrs", "rhythm", "rhythm-state", "ppgq", "vf"])
    parser.add_argument("--records", nargs="*", help="default: every record of the database")
    parser.add_argument("--write", action="store_true", help="write the figure into docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from cardiowatch.data import MITDB_ALL

    if args.what == "rhythm":
        return _rhythm_main(args.records, args.write)
    if args.what == "ppgq":
        return _quality_main(args.records, args.write)
    if args.what == "rhythm-state":
        return _rhythm_state_main(args.records, args.write)
    if args.what == "vf":
        return _vf_main(args.records, args.write)
    rows = []
    for record in args.records or list(MITDB_ALL):
        row = qrs_agreement(record)
        log.info("%s: python %d, c %d, matched %d (%.2f %%)", record, row.n_python, row.n_c, row.matched,
                 100 * row.fraction)
        rows.append(row)
    text = report(rows, "QRS detector (`cw_qrs` vs `signal/qrs.py`)", "mitdb")
    _print_and_write(text, part="qrs-agreement", write=args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
