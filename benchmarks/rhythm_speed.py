"""Rhythm analysis speed: a whole 24-h ltafdb record through RhythmTracker + summary, on one core.

    python benchmarks/rhythm_speed.py                # record 120 of ltafdb (about 24 h), best of 5 runs

Target (issue 4): < 2 s for a 24-h record. Reading the annotation file is not timed. Prints wall-clock
seconds (best and median of the runs) and the best CPU seconds of this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time

# one core, as the target says: set before numpy loads its BLAS
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from cardiowatch.evaluate.rhythm import load_beat_record  # noqa: E402
from cardiowatch.rhythm.model import load_af_model  # noqa: E402
from cardiowatch.rhythm.summary import analyze_rhythm, rhythm_summary  # noqa: E402

logger = logging.getLogger("rhythm_speed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", default="120")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
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


if __name__ == "__main__":
    main()
