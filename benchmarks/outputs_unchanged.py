"""Check that the streaming analysis gives byte-identical outputs to another revision's (speed work).

Usage::

    nice -n 10 .venv/bin/python benchmarks/outputs_unchanged.py [--baseline main] [--records 100 208 ...]
        [--limit-s SECONDS]

For each record (mitdb names; ``cudb/cu01`` names another database) the raw ECG lead runs through, in the
``--baseline`` revision's code and in the current code (each in its own process):

- the `Pipeline` in 1-s and 0.5-s chunks: every `PipelineOutput` (beats and labels, rhythm changes,
  events, quality segments, heart rate, HRV) and the tracker's episodes;
- `QrsDetector` + `BeatClassifierStage` in 1-s chunks: every classified beat with its probabilities;
- the `VfDetector` in 1-s chunks: every window and state change.

Plus a damaged copy of mitdb 105 (a 3-s gap, a 1.5-s flat line, 7 dropped samples, 20 s of noise).
Each output is written with ``repr`` (floats round-trip exactly) and the SHA-256 of the text is compared.
``--limit-s`` keeps only the first seconds of each record. The two code versions run side by side (two
processes). Exits 1 when any record differs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from baseline_tree import ROOT, extract_src  # noqa: E402  (benchmarks/ is sys.path[0] when run)

logger = logging.getLogger("outputs_unchanged")
RECORDS = ("100", "119", "200", "203", "207", "208", "233", "cudb/cu01", "cudb/cu05")
DAMAGED = "105-damaged"


def signal(name: str, limit_s: float | None) -> tuple[np.ndarray, float]:
    x, fs = _signal(name)
    return (x[: int(limit_s * fs)] if limit_s else x), fs


def _signal(name: str) -> tuple[np.ndarray, float]:
    from cardiowatch.data import read_record

    if name == DAMAGED:
        rec = read_record("mitdb", "105")
        fs = rec.fs
        x = rec.signals[rec.ecg_lead()][: int(fs * 600)].copy()
        x[int(100 * fs):int(103 * fs)] = np.nan
        x[int(200 * fs):int(201.5 * fs)] = x[int(200 * fs)]
        x[int(300 * fs):int(300 * fs) + 7] = np.nan
        x[int(400 * fs):int(420 * fs)] += np.random.default_rng(0).normal(0, 2, int(20 * fs))
        return x, fs
    db, rec_name = name.split("/") if "/" in name else ("mitdb", name)
    rec = read_record(db, rec_name)
    return rec.signals[rec.ecg_lead()], rec.fs


def outputs(x: np.ndarray, fs: float, clf: object) -> str:
    from cardiowatch.beats.classifier import BeatClassifierStage
    from cardiowatch.pipeline import Pipeline, PipelineConfig
    from cardiowatch.signal.qrs import QrsDetector
    from cardiowatch.signal.vf import VfDetector

    lines = []
    for chunk_s in (1.0, 0.5):
        step = int(round(chunk_s * fs))
        pipe = Pipeline(PipelineConfig(fs=fs, sensor="ecg"), beat_classifier=clf)
        lines += [repr(pipe.process(x[i:i + step])) for i in range(0, len(x), step)]
        lines += [repr(pipe.flush()), repr(pipe.tracker_.episodes())]
    step = int(fs)
    det, stage = QrsDetector(fs=fs), BeatClassifierStage(fs=fs, classifier=clf)
    for i in range(0, len(x), step):
        chunk = x[i:i + step]
        lines.append(repr(stage.process(chunk, det.process(chunk))))
    lines.append(repr(stage.process(np.zeros(0), det.flush())) + repr(stage.flush()))
    vf = VfDetector(fs=fs)
    lines += [repr(vf.process(x[i:i + step])) for i in range(0, len(x), step)]
    return "\n".join(lines)


def worker(names: list[str], limit_s: float | None) -> None:
    from cardiowatch.beats.classifier import BeatClassifier

    clf = BeatClassifier()
    digests = {}
    for name in names:
        x, fs = signal(name, limit_s)
        text = outputs(x, fs, clf)
        digests[name] = {"sha256": hashlib.sha256(text.encode()).hexdigest(), "lines": text.count("\n") + 1}
    print(json.dumps(digests))


def start_worker(src: Path, names: list[str], limit_s: float | None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(src)}
    limit = ["--limit-s", str(limit_s)] if limit_s else []
    return subprocess.Popen([sys.executable, __file__, *limit, "--worker", *names], env=env,
                            stdout=subprocess.PIPE, text=True)


def digests(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"worker failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--records", nargs="+", default=[*RECORDS, DAMAGED])
    parser.add_argument("--limit-s", type=float, default=None, help="first seconds of each record only")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.limit_s)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        old_proc = start_worker(extract_src(args.baseline, Path(tmp)), args.records, args.limit_s)
        new_proc = start_worker(ROOT / "src", args.records, args.limit_s)
        old, new = digests(old_proc), digests(new_proc)
    differ = [name for name in args.records if old[name] != new[name]]
    for name in args.records:
        logger.info("%-12s %6d outputs  %s  %s", name, new[name]["lines"], new[name]["sha256"][:16],
                    "DIFFERENT" if name in differ else f"same as {args.baseline}")
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
