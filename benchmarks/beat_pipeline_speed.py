"""Speed and memory of QRS detection + beat classification on 30-min MIT-BIH records, one core.

Usage::

    nice -n 10 .venv/bin/python benchmarks/beat_pipeline_speed.py [--write-docs]

Feeds each record's raw MLII lead in 1-second chunks (as frames arrive live) through `QrsDetector` and
`BeatClassifierStage`, and also whole; reports seconds, times real time, and peak memory: the Python
heap peak (tracemalloc, in a separate run so it does not slow the timing) and the process's max RSS.
With ``--write-docs`` the table replaces the "Beat classification" speed part of docs/benchmarks.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from cardiowatch.beats.classifier import BeatClassifier, BeatClassifierStage  # noqa: E402
from cardiowatch.data import read_record  # noqa: E402
from cardiowatch.signal.qrs import QrsDetector  # noqa: E402

logger = logging.getLogger("beat_pipeline_speed")
RECORDS = ("100", "208", "233")  # a calm record and the two with the most beats / ectopy among DS1 and DS2
CHUNK_S = 1.0
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def run(x: np.ndarray, *, fs: float, clf: BeatClassifier, chunk_n: int) -> int:
    det = QrsDetector(fs=fs)
    stage = BeatClassifierStage(fs=fs, classifier=clf)
    n = 0
    for start in range(0, len(x), chunk_n):
        chunk = x[start:start + chunk_n]
        n += len(stage.process(chunk, det.process(chunk)))
    n += len(stage.process(np.zeros(0), det.flush()))
    n += len(stage.flush())
    return n


def measure(name: str, clf: BeatClassifier) -> dict:
    rec = read_record("mitdb", name)
    x = rec.signals[rec.ecg_lead()]
    fs = rec.fs
    out = {"record": name, "duration_min": len(x) / fs / 60}
    for label, chunk_n in (("1 s chunks", int(CHUNK_S * fs)), ("whole", len(x))):
        t0 = time.perf_counter()
        n = run(x, fs=fs, clf=clf, chunk_n=chunk_n)
        dt = time.perf_counter() - t0
        out[label] = {"seconds": dt, "x_real_time": len(x) / fs / dt, "beats": n}
    tracemalloc.start()
    run(x, fs=fs, clf=clf, chunk_n=int(CHUNK_S * fs))
    out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out


def table(results: list[dict], max_rss_mb: float) -> str:
    lines = ["| record | min | beats | 1 s chunks: s | x real time | whole: s | x real time | heap peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        c, w = r["1 s chunks"], r["whole"]
        lines.append(f"| {r['record']} | {r['duration_min']:.1f} | {c['beats']} | {c['seconds']:.2f} | "
                     f"{c['x_real_time']:.0f} | {w['seconds']:.2f} | {w['x_real_time']:.0f} | "
                     f"{r['heap_peak_mb']:.1f} |")
    lines.append("")
    lines.append(f"Process max RSS (whole benchmark, incl. Python, numpy, onnxruntime): {max_rss_mb:.0f} MB.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    clf = BeatClassifier()
    results = [measure(name, clf) for name in RECORDS]
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = table(results, max_rss_mb)
    logger.info("%s", text)
    if args.write_docs:
        from docs_section import write_section  # benchmarks/ is sys.path[0] when run
        write_section("beats-speed", text)


if __name__ == "__main__":
    main()
