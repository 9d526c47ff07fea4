"""Speed and memory of the streaming analysis on 30-min MIT-BIH records, one core, old code beside new.

Usage::

    nice -n 10 .venv/bin/python benchmarks/beat_pipeline_speed.py [--baseline REV] [--repeats N] [--write-docs]

Feeds each record's raw MLII lead in 1-second chunks (as frames arrive live) through

- the beat path: `QrsDetector` + `BeatClassifierStage` (also fed whole, for comparison);
- the whole `Pipeline`: the beat path plus signal quality, the VF detector, the rhythm tracker, heart
  rate and HRV, as the server runs it per device.

Times are CPU seconds of the measuring process (``time.process_time``): on a shared machine wall time
mostly measures the other processes' load. The same measurement runs on the ``--baseline`` revision's
``src/cardiowatch`` (extracted with ``git archive`` into a temporary folder) in its own process,
alternating with the current code record by record so both see the same load; each figure is the best
of ``--repeats`` runs. Memory: the Python heap peak of the streaming beat path (tracemalloc, in a
separate run so it does not slow the timing) and the current code's process max RSS.
With ``--write-docs`` the table replaces the "beats-speed" section of docs/benchmarks.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from baseline_tree import ROOT, extract_src  # noqa: E402  (benchmarks/ is sys.path[0] when run)

logger = logging.getLogger("beat_pipeline_speed")
RECORDS = ("100", "208", "233")  # a calm record and the two with the most beats / ectopy among DS1 and DS2
CHUNK_S = 1.0


# ---------------------------------------------------------------------- measuring (in a worker process)
def run_beats(x: np.ndarray, *, fs: float, clf: object, chunk_n: int) -> int:
    from cardiowatch.beats.classifier import BeatClassifierStage
    from cardiowatch.signal.qrs import QrsDetector

    det = QrsDetector(fs=fs)
    stage = BeatClassifierStage(fs=fs, classifier=clf)
    n = 0
    for start in range(0, len(x), chunk_n):
        chunk = x[start:start + chunk_n]
        n += len(stage.process(chunk, det.process(chunk)))
    n += len(stage.process(np.zeros(0), det.flush()))
    n += len(stage.flush())
    return n


def run_pipeline(x: np.ndarray, *, fs: float, clf: object, chunk_n: int) -> int:
    from cardiowatch.pipeline import Pipeline, PipelineConfig

    pipe = Pipeline(PipelineConfig(fs=fs, sensor="ecg"), beat_classifier=clf)
    n = 0
    for start in range(0, len(x), chunk_n):
        n += len(pipe.process(x[start:start + chunk_n]).beats)
    return n + len(pipe.flush().beats)


def cpu_seconds(fn, *args, **kwargs) -> tuple[float, int]:
    t0 = time.process_time()
    n = fn(*args, **kwargs)
    return time.process_time() - t0, n


def measure(name: str, clf: object) -> dict:
    from cardiowatch.data import read_record

    rec = read_record("mitdb", name)
    x = rec.signals[rec.ecg_lead()]
    fs = rec.fs
    chunk_n = int(CHUNK_S * fs)
    out = {"record": name, "duration_s": len(x) / fs}
    out["beats_s"], out["beats"] = cpu_seconds(run_beats, x, fs=fs, clf=clf, chunk_n=chunk_n)
    out["beats_whole_s"], _ = cpu_seconds(run_beats, x, fs=fs, clf=clf, chunk_n=len(x))
    out["pipeline_s"], out["pipeline_beats"] = cpu_seconds(run_pipeline, x, fs=fs, clf=clf, chunk_n=chunk_n)
    tracemalloc.start()
    run_beats(x, fs=fs, clf=clf, chunk_n=chunk_n)
    out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out


def worker(records: list[str]) -> None:
    from cardiowatch.beats.classifier import BeatClassifier

    clf = BeatClassifier()
    results = [measure(name, clf) for name in records]
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"results": results, "max_rss_mb": max_rss_mb}))


# ---------------------------------------------------------------------- driving (the main process)
def run_worker(src: Path, record: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, __file__, "--worker", record], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """Per record, the fastest of the repeated runs (the least disturbed by other load)."""
    out = dict(runs[0]["results"][0])
    for key in ("beats_s", "beats_whole_s", "pipeline_s", "heap_peak_mb"):
        out[key] = min(r["results"][0][key] for r in runs)
    out["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
    return out


def table(old: list[dict], new: list[dict], baseline: str) -> str:
    def x_rt(r: dict, key: str) -> float:
        return r["duration_s"] / r[key]

    lines = [
        f"| record | min | beats | beat path, 1 s chunks: x real time, {baseline} | now | ratio "
        f"| whole pipeline, 1 s chunks: {baseline} | now | ratio | beat path fed whole: now | heap peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o, n in zip(old, new):
        if (o["beats"], o["pipeline_beats"]) != (n["beats"], n["pipeline_beats"]):
            raise RuntimeError(f"record {n['record']}: beat counts differ from {baseline}'s")
        lines.append(
            f"| {n['record']} | {n['duration_s'] / 60:.1f} | {n['beats']} "
            f"| {x_rt(o, 'beats_s'):.0f} | {x_rt(n, 'beats_s'):.0f} | {o['beats_s'] / n['beats_s']:.2f} "
            f"| {x_rt(o, 'pipeline_s'):.0f} | {x_rt(n, 'pipeline_s'):.0f} | {o['pipeline_s'] / n['pipeline_s']:.2f} "
            f"| {x_rt(n, 'beats_whole_s'):.0f} | {n['heap_peak_mb']:.1f} |")
    lines.append("")
    lines.append("x real time: record seconds per CPU second of one process (one thread). Process max RSS "
                 f"(current code, incl. Python, numpy, onnxruntime): {max(n['max_rss_mb'] for n in new):.0f} MB.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per record and code version; best kept")
    parser.add_argument("--records", nargs="+", default=list(RECORDS))
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    load_before = os.getloadavg()
    old, new = [], []
    with tempfile.TemporaryDirectory() as tmp:
        old_src, new_src = extract_src(args.baseline, Path(tmp)), ROOT / "src"
        for record in args.records:
            runs_old, runs_new = [], []
            for _ in range(args.repeats):
                runs_old.append(run_worker(old_src, record))
                runs_new.append(run_worker(new_src, record))
            old.append(best(runs_old))
            new.append(best(runs_new))
            logger.info("record %s: beat path %.2f -> %.2f CPU s, pipeline %.2f -> %.2f CPU s", record,
                        old[-1]["beats_s"], new[-1]["beats_s"], old[-1]["pipeline_s"], new[-1]["pipeline_s"])
    text = table(old, new, args.baseline)
    load = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(load_before, os.getloadavg()))
    text += f"\nLoad average (1, 5, 15 min) before/after the run: {load}."
    logger.info("%s", text)
    if args.write_docs:
        from docs_section import write_section  # benchmarks/ is sys.path[0] when run

        write_section("beats-speed", text)


if __name__ == "__main__":
    main()
