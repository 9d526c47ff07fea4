"""Rhythm analysis speed on one core: a whole 24-h ltafdb record at once, or streamed in chunks.

    python benchmarks/rhythm_speed.py                # record 120 of ltafdb (about 24 h), best of 5 runs
    python benchmarks/rhythm_speed.py --chunk-s 1 --baseline main   # streamed as live, old code beside new

Whole (target, issue 4: < 2 s for a 24-h record): `RhythmTracker` + summary over the record's reference
beats in one call. Reading the annotation file is not timed. Prints wall-clock seconds (best and median of
the runs) and the best CPU seconds of this process.

Streamed (``--chunk-s``): the beats of the first ``--hours`` hours of each ``--records`` record (database/name)
in chunks of that many seconds through the tracker and the 5-min HRV window, as `cardiowatch.pipeline.Pipeline`
feeds them, in microseconds of CPU per chunk (best of the runs). With ``--baseline REV`` the same runs on
that revision's ``src/cardiowatch`` too (``git archive``, its own process, alternating run by run).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# one core, as the target says: set before numpy loads its BLAS
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from cardiowatch.evaluate.rhythm import load_beat_record  # noqa: E402
from cardiowatch.rhythm.model import load_af_model  # noqa: E402
from cardiowatch.rhythm.summary import analyze_rhythm, rhythm_summary  # noqa: E402

logger = logging.getLogger("rhythm_speed")
STREAM_RECORDS = ("mitdb/100", "mitdb/208", "ltafdb/00")
HRV_WINDOW_S = 300.0  # cardiowatch.pipeline.HRV_WINDOW_S (not imported: the pipeline pulls in the ECG stages)


def whole(args: argparse.Namespace) -> None:
    rec = load_beat_record("ltafdb", args.record)
    model = load_af_model()
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        summary = rhythm_summary(analyze_rhythm(rec.sample, fs=rec.fs, label=rec.label, model=model))
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    result = {
        "record": f"ltafdb/{args.record}",
        "hours": round(rec.hours, 2),
        "beats": int(len(rec.sample)),
        "best_s": round(min(times), 3),
        "median_s": round(sorted(times)[len(times) // 2], 3),
        "best_cpu_s": round(min(cpu), 3),
        "episodes": len(summary.episodes),
        "af_burden_pct": round(summary.af_burden_pct, 1),
    }
    logger.info("%s", json.dumps(result))


def stream_once(chunks: list, fs: float) -> tuple[float, float]:
    """CPU seconds of the tracker and of the HRV window over the chunks."""
    from cardiowatch.rhythm import hrv
    from cardiowatch.rhythm.tracker import RhythmTracker

    tracker = RhythmTracker(fs=fs)
    c0 = time.process_time()
    for sample, label, shape in chunks:
        tracker.process(sample, label, shape)
    tracker.flush()
    c1 = time.process_time()
    if hasattr(hrv, "HrvWindow"):
        window = hrv.HrvWindow(fs=fs, window_s=HRV_WINDOW_S)
        for sample, label, _ in chunks:
            if len(sample):
                window.add(sample, label)
    else:  # revisions before HrvWindow: the pipeline took hrv_time of the window's beats for every chunk
        kept_s, kept_l = np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
        for sample, label, _ in chunks:
            if len(sample):
                kept_s, kept_l = np.concatenate([kept_s, sample]), np.concatenate([kept_l, label])
                first = int(np.searchsorted(kept_s, kept_s[-1] - HRV_WINDOW_S * fs, side="left"))
                kept_s, kept_l = kept_s[first:], kept_l[first:]
                hrv.hrv_time(kept_s, fs=fs, label=kept_l)
    return c1 - c0, time.process_time() - c1


def stream_worker(names: list[str], chunk_s: float, hours: float) -> None:
    """One run over every record; prints {name: [tracker_s, hrv_s, n_chunks, seconds]}."""
    out = {}
    for name in names:
        db, rec_name = name.split("/")
        rec = load_beat_record(db, rec_name)
        keep = rec.sample < hours * 3600 * rec.fs
        s, lab = rec.sample[keep], rec.label[keep]
        shape = np.full((len(s), 20), np.nan)  # V beats carry a shape in the pipeline: a row per beat
        edges = np.searchsorted(s, np.arange(0, s[-1] + chunk_s * rec.fs, chunk_s * rec.fs))
        edges = np.r_[edges, len(s)]
        chunks = [(s[a:b], lab[a:b], shape[a:b]) for a, b in zip(edges[:-1], edges[1:])]
        t_tracker, t_hrv = stream_once(chunks, rec.fs)
        out[name] = [t_tracker, t_hrv, len(chunks), len(chunks) * chunk_s]
    print(json.dumps(out))


def stream(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from baseline_tree import extract_src  # benchmarks/ is sys.path[0] when run

        trees = {"current": Path(__file__).resolve().parents[1] / "src"}
        if args.baseline:
            trees[args.baseline] = extract_src(args.baseline, Path(tmp))
        best: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.repeat):
            for label, src in trees.items():
                env = {**os.environ, "PYTHONPATH": str(src)}
                cmd = [sys.executable, __file__, "--worker", "--chunk-s", str(args.chunk_s), "--hours",
                       str(args.hours), "--records", *args.records]
                got = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True,
                                                text=True).stdout.strip().splitlines()[-1])
                for name, (t_tracker, t_hrv, n, seconds) in got.items():
                    prev = best.setdefault(label, {}).get(name, [np.inf, np.inf, n, seconds])
                    best[label][name] = [min(prev[0], t_tracker), min(prev[1], t_hrv), n, seconds]
    for name in args.records:
        row = {"record": name, "chunk_s": args.chunk_s}
        for label, per in best.items():
            t_tracker, t_hrv, n, seconds = per[name]
            row[label] = {"tracker_us_per_chunk": round(1e6 * t_tracker / n),
                          "hrv_us_per_chunk": round(1e6 * t_hrv / n), "x_real_time": round(seconds / (t_tracker + t_hrv))}
        if args.baseline:
            cur, base = best["current"][name], best[args.baseline][name]
            row["speedup"] = {"tracker": round(base[0] / cur[0], 2), "hrv": round(base[1] / cur[1], 2)}
        logger.info("%s", json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", default="120", help="ltafdb record of the whole-record run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk-s", type=float, help="stream the beats in chunks of this many seconds")
    parser.add_argument("--records", nargs="+", default=list(STREAM_RECORDS), help="database/name, streamed")
    parser.add_argument("--hours", type=float, default=1.0, help="streamed: the first hours of each record")
    parser.add_argument("--baseline", help="streamed: also time this git revision")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.worker:
        stream_worker(args.records, args.chunk_s, args.hours)
    elif args.chunk_s:
        stream(args)
    else:
        whole(args)


if __name__ == "__main__":
    main()
