"""Full-data check: what the monitor reports on all 48 MIT-BIH Arrhythmia records (the one pipeline).

Targets of the VF issue: the beats the pipeline reports (QRS detector, with the VF state taking
precedence) reach +P >= 99.8 % counting every detection, pooled over the 48 records, flutter included;
in record 207 no beat is reported inside a flutter episode later than 1 s after VF is declared; and VF is
declared in no record without ventricular flutter or fibrillation. About 5 minutes on one core.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from cardiowatch.beats.classifier import BeatClassifier
from cardiowatch.evaluate.match import DetectionScore, score_detection
from cardiowatch.pipeline import VF_RHYTHM, analyze_signal

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "qrs_detectors.py"
_spec = importlib.util.spec_from_file_location("qrs_detectors_benchmark_pipeline", _BENCH)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench
_spec.loader.exec_module(bench)

pytestmark = [pytest.mark.data, pytest.mark.slow, pytest.mark.xdist_group("pipeline_mitdb")]

PPV_ALL_TARGET_PCT = 99.8
#: Beats may still come this long after VF is declared (the issue's allowance).
LATE_BEAT_S = 1.0


@pytest.fixture(scope="module")
def reported(mitdb: str) -> list[tuple]:
    """(record, reported beat samples, VF declarations (detected sample)) for all 48 records, in 1-s chunks."""
    classifier = BeatClassifier()
    out = []
    for ecg in bench.load_mitdb():
        analysis = analyze_signal(ecg.signal, fs=ecg.fs, sensor="ecg", chunk_s=1.0, beat_classifier=classifier)
        declared = [c.detected_sample for c in analysis.rhythm_changes if c.rhythm == VF_RHYTHM]
        out.append((ecg, np.sort(analysis.beat_samples), declared))
    return out


def test_reported_beats_reach_the_ppv_target_counting_every_detection(reported) -> None:
    assert len(reported) == 48
    total = sum((score_detection(ecg.reference, beats, fs=ecg.fs) for ecg, beats, _ in reported),
                DetectionScore(0, 0, 0))
    assert 100 * total.ppv >= PPV_ALL_TARGET_PCT


def test_no_beat_is_reported_in_flutter_after_vf_is_declared(reported) -> None:
    ecg, beats, declared = next(r for r in reported if r[0].name == "207")
    assert declared
    late = 0
    for lo, hi in ecg.vf:
        during = [d for d in declared if lo - 10 * ecg.fs <= d <= hi]
        if during:
            late += int(np.sum((beats > min(during) + LATE_BEAT_S * ecg.fs) & (beats <= hi)))
    assert late == 0


def test_vf_is_declared_only_where_there_is_ventricular_flutter(reported) -> None:
    assert sorted(ecg.name for ecg, _, declared in reported if declared) == ["207"]
