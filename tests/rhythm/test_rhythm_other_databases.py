"""Scoring the AF detector on a database the project never trained or tuned on (`evaluate_database`)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cardiowatch.evaluate.rhythm import (
    PERTURB_SEED,
    evaluate_database,
    load_beat_record,
    score_records,
    variant_settings,
)
from cardiowatch.rhythm.model import load_af_model


@pytest.mark.data
def test_evaluate_database_scores_every_record_as_the_held_out_evaluation_does(ltafdb, tmp_path) -> None:
    """Two ltafdb records copied into a folder as another database ("ltafdb" layout) score exactly as
    `score_records` scores them, variant by variant; a record with no beats is left out, not fatal."""
    from cardiowatch.data import write_annotations
    from cardiowatch.data.databases import database_dir

    folder = tmp_path / "ltafdb"
    folder.mkdir()
    (folder / "RECORDS").write_text("00\n01\n02\n")
    for name in ("00", "01"):
        for ext in ("hea", "atr"):
            shutil.copy(database_dir("ltafdb") / f"{name}.{ext}", folder)
    shutil.copy(database_dir("ltafdb") / "00.hea", folder / "02.hea")  # a record with a rhythm label, no beats
    write_annotations(folder, "02", "atr", fs=128.0, sample=np.array([10]), symbol=["+"], aux_note=["(N"])
    result = evaluate_database("ltafdb", root=tmp_path, variants=("intervals_only", "perturbed"),
                               jitter_s=0.0137)
    assert result["records"] == ["00", "01"]
    recs = [load_beat_record("ltafdb", r) for r in ("00", "01")]
    settings = variant_settings(jitter_s=0.0137, miss_rate=0.02)
    for variant in ("intervals_only", "perturbed"):
        expected = score_records(recs, model=load_af_model(), rng=np.random.default_rng(PERTURB_SEED),
                                 **settings[variant]).summary()
        assert result[variant] == expected
    assert result["intervals_only"]["af_beats"] > 0 and 0 < result["intervals_only"]["se_pct"] <= 100


def test_the_cli_scores_another_database(tmp_path, monkeypatch) -> None:
    """``--database`` with ``--data`` reaches `evaluate_database` and writes its figures."""
    import json

    from cardiowatch.evaluate import rhythm

    seen = {}

    def fake(database, **kwargs):
        seen.update(database=database, root=kwargs["root"])
        return {"database": database}

    monkeypatch.setattr(rhythm, "evaluate_database", fake)
    out = tmp_path / "afdb.json"
    rhythm.main(["--database", "afdb", "--data", str(tmp_path), "--write", str(out)])
    assert seen == {"database": "afdb", "root": tmp_path}
    assert json.loads(out.read_text()) == {"database": "afdb"}
