"""EC57-style beat-classification scoring on small hand-made cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cardiowatch.evaluate.beats import (
    MATRIX_LABELS,
    BeatReport,
    class_score,
    classification_confusion,
    format_report,
    resample_record,
    write_report,
)

FS = 100.0  # a made-up rate: 150 ms = 15 samples


def _idx(label: str) -> int:
    return MATRIX_LABELS.index(label)


def test_confusion_counts_matches_misses_and_extra_detections():
    ref = np.array([100, 200, 300, 400])
    ref_cls = ["N", "S", "V", "N"]
    det = np.array([102, 205, 290, 600])  # 400 missed, 600 extra
    det_cls = ["N", "N", "V", "V"]
    m = classification_confusion(ref, ref_cls, det, det_cls, fs=FS)
    assert m[_idx("N"), _idx("N")] == 1
    assert m[_idx("S"), _idx("N")] == 1
    assert m[_idx("V"), _idx("V")] == 1
    assert m[_idx("N"), _idx("-")] == 1  # missed reference beat
    assert m[_idx("-"), _idx("V")] == 1  # detection with no reference beat
    assert m.sum() == 5


def test_class_scores_follow_ec57_definitions():
    ref = np.array([100, 200, 300, 400])
    m = classification_confusion(ref, ["N", "S", "V", "N"], np.array([102, 205, 290, 600]),
                                 ["N", "N", "V", "V"], fs=FS)
    v = class_score(m, "V")
    assert (v.tp, v.fn, v.fp) == (1, 0, 1)  # the extra detection labelled V is a V false positive
    s = class_score(m, "S")
    assert (s.tp, s.fn, s.fp) == (0, 1, 0)
    n = class_score(m, "N")
    assert (n.tp, n.fn, n.fp) == (1, 1, 1)
    assert n.sensitivity == pytest.approx(0.5)


def test_detections_outside_the_window_do_not_match():
    m = classification_confusion(np.array([100]), ["V"], np.array([116]), ["V"], fs=FS)
    assert class_score(m, "V").tp == 0


def test_report_sums_records_and_writes_json_and_png(tmp_path):
    one = classification_confusion(np.array([100, 200]), ["N", "V"], np.array([100, 200]), ["N", "V"], fs=FS)
    two = classification_confusion(np.array([100, 200]), ["N", "V"], np.array([100, 200]), ["N", "N"], fs=FS)
    report = BeatReport(beats_from="reference", records={"a": one, "b": two})
    assert report.gross("V").sensitivity == pytest.approx(0.5)
    json_path, png_path = write_report(report, tmp_path, stem="beats_reference")
    data = json.loads(json_path.read_text())
    assert data["gross"]["V"]["se"] == 50.0
    assert data["per_record"]["a"]["scores"]["V"]["se"] == 100.0
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = format_report(report)
    assert "gross" in text and "50.0" in text


def test_resampled_copy_keeps_each_beat_on_its_peak() -> None:
    fs, fs_out = 360.0, 128.0
    t = np.arange(int(20 * fs)) / fs
    beats = np.round(np.arange(0.5, 19.5, 0.83) * fs).astype(np.int64)
    x = sum(np.exp(-0.5 * ((t - b / fs) / 0.012) ** 2) for b in beats)
    y, pos = resample_record(x, beats, fs=fs, fs_out=fs_out)
    assert len(y) == pytest.approx(len(x) * fs_out / fs, abs=1)
    assert np.all(np.abs(pos - beats * fs_out / fs) <= 0.5)
    assert np.all(y[pos] > 0.8)  # still on the (resampled) peaks
