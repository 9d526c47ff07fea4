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
