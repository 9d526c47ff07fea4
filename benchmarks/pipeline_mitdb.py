"""What the monitor reports on all 48 MIT-BIH Arrhythmia records: the one pipeline's beats, with the VF
state taking precedence over the QRS detector (record 207's ventricular flutter).

Writes the section ``pipeline-mitdb`` of docs/benchmarks.md; ``tests/pipeline/test_pipeline_mitdb.py``
asserts the targets. Run: ``.venv/bin/python benchmarks/pipeline_mitdb.py`` (about 5 min on one core).
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
from docs_section import write_section  # benchmarks/ is sys.path[0] when run
from qrs_detectors import load_mitdb

from cardiowatch.beats.classifier import BeatClassifier
from cardiowatch.evaluate.match import DetectionScore, score_detection
from cardiowatch.pipeline import VF_RHYTHM, analyze_signal

logger = logging.getLogger("pipeline_mitdb")


def build_section() -> str:
    classifier = BeatClassifier()
    every, outside_vf = DetectionScore(0, 0, 0), DetectionScore(0, 0, 0)
    declared_in: dict[str, list[tuple[float, float]]] = {}
    late = 0
    for ecg in load_mitdb():
        analysis = analyze_signal(ecg.signal, fs=ecg.fs, sensor="ecg", chunk_s=1.0, beat_classifier=classifier)
        beats = np.sort(analysis.beat_samples)
        every = every + score_detection(ecg.reference, beats, fs=ecg.fs)
        keep = np.ones(beats.size, dtype=bool)
        for lo, hi in ecg.vf:
            keep &= (beats < lo) | (beats > hi)
        outside_vf = outside_vf + score_detection(ecg.reference, beats[keep], fs=ecg.fs)
        changes = [c for c in analysis.rhythm_changes if c.rhythm == VF_RHYTHM]
        if changes:
            declared_in[ecg.name] = [(c.sample / ecg.fs, c.detected_sample / ecg.fs) for c in changes]
        for lo, hi in ecg.vf:
            during = [c.detected_sample for c in changes if lo - 10 * ecg.fs <= c.detected_sample <= hi]
            if during:
                late += int(np.sum((beats > min(during) + ecg.fs) & (beats <= hi)))
        logger.info("%s: %d beats, %d VF declarations", ecg.name, beats.size, len(changes))
    vf_lines = "; ".join(f"record {name}: " + ", ".join(f"{a:.0f} s (declared {d:.0f} s)" for a, d in spans)
                         for name, spans in declared_in.items()) or "none"
    return "\n".join([
        "## What the monitor reports on mitdb (the one pipeline, VF state included)",
        "",
        "Produced by `.venv/bin/python benchmarks/pipeline_mitdb.py`. The beats `cardiowatch.pipeline` reports",
        "for all 48 records (1-s chunks), where the VF detector's state takes precedence over the QRS detector,",
        "scored against every beat annotation within 150 ms (`cardiowatch.evaluate.match`).",
        "",
        "| figure | target | measured | |",
        "|---|---|---|---|",
        f"| +P counting every detection, flutter included | >= 99.8 % | {100 * every.ppv:.2f} % "
        f"(FP {every.fp}) | {'met' if 100 * every.ppv >= 99.8 else '**missed**'} |",
        f"| Se, every beat | | {100 * every.sensitivity:.2f} % (FN {every.fn}) | |",
        f"| +P / Se with 207's flutter left out (EC57) | >= 99.7 % | {100 * outside_vf.ppv:.2f} % / "
        f"{100 * outside_vf.sensitivity:.2f} % | |",
        f"| beats reported in flutter more than 1 s after VF was declared (207) | 0 | {late} | "
        f"{'met' if late == 0 else '**missed**'} |",
        "",
        f"VF declared (estimated onset, declared): {vf_lines}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    section = build_section()
    logger.info("%s", section)
    if not args.no_write:
        write_section("pipeline-mitdb", section)


if __name__ == "__main__":
    main()
