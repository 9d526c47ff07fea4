"""`annotate` writes standard WFDB annotation files that a WFDB reader scores against the reference."""

from __future__ import annotations

import pytest

from cardiowatch.data import read_annotations_file, read_record
from cardiowatch.evaluate.annotate import annotate_record
from cardiowatch.evaluate.match import score_detection


@pytest.mark.data
def test_annotate_writes_aami_beats_that_match_the_reference(mitdb, tmp_path) -> None:
    result = annotate_record("mitdb/100", out_dir=tmp_path)
    written = read_annotations_file(tmp_path / "100", "cw", fs=360.0)
    ref = read_record(mitdb, "100", signals=False).annotations.beats()
    beats = written.beats()
    assert set(beats.symbol) <= set("NSVFQ") and len(beats) == result.n_beats
    score = score_detection(ref.sample, beats.sample, fs=360.0)
    assert score.sensitivity > 0.99 and score.ppv > 0.99
    assert [a for s, a in written.rhythm_changes()][:1] == ["(N"]


@pytest.mark.data
def test_annotate_from_reference_beats_writes_rhythm_changes(ltafdb, tmp_path) -> None:
    result = annotate_record("ltafdb/00", out_dir=tmp_path, beats_from="atr")
    written = read_annotations_file(tmp_path / "00", "cw", fs=128.0)
    changes = written.rhythm_changes()
    assert len(changes) == result.n_rhythm_changes > 0
    assert "(AFIB" in {a for _, a in changes}
    assert len(written.beats()) == len(read_record(ltafdb, "00", signals=False).annotations.beats())


@pytest.mark.data
@pytest.mark.parametrize("fs, names", [(257, ["II", "V1"]), (128, ["ECG1", "ECG2"])])
def test_annotate_reads_other_recorders_rates_and_lead_names(mitdb, tmp_path, fs, names) -> None:
    """A 10-min mitdb 119 excerpt written as another recorder would (INCART's 257 Hz and lead II; afdb/svdb's
    128 Hz and ECG1/ECG2, no preferred lead name) gives the reference's beats and its V beats."""
    from fractions import Fraction

    import numpy as np
    import wfdb
    from scipy.signal import resample_poly

    n = 360 * 600
    rec = read_record(mitdb, "119")
    x = np.column_stack([rec.signals[c][:n] for c in rec.signals])
    ratio = Fraction(fs, 360)
    y = resample_poly(x, ratio.numerator, ratio.denominator, axis=0)
    wfdb.wrsamp("r", fs=fs, units=["mV", "mV"], sig_name=names, p_signal=y, fmt=["16", "16"],
                write_dir=str(tmp_path))
    result = annotate_record(str(tmp_path / "r"), out_dir=tmp_path / "ann")
    beats = read_annotations_file(tmp_path / "ann" / "r", "cw", fs=float(fs)).beats()
    ref = rec.annotations.beats()
    ref_sample = ref.sample[ref.sample < n]
    score = score_detection(ref_sample * fs / 360.0, beats.sample, fs=float(fs))
    assert result.n_beats == len(beats) and score.sensitivity > 0.995 and score.ppv > 0.995
    n_ref_v = int(np.sum(np.asarray(ref.symbol)[ref.sample < n] == "V"))
    assert n_ref_v > 100 and abs(int(np.sum(np.asarray(beats.symbol) == "V")) - n_ref_v) <= 0.02 * n_ref_v
