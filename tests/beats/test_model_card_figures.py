"""The shipped beat model, re-evaluated on DS2, reproduces the figures in its model card (CI, real data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardiowatch.beats.classifier import DEFAULT_MODEL_PATH, BeatClassifier
from cardiowatch.data import MITDB_DS2
from cardiowatch.evaluate.beats import SCORED_CLASSES, evaluate_beats, read_card_figures

CARD = Path(__file__).resolve().parents[2] / "models" / "beat_classifier.md"
#: The card's figures must be reproduced within this many percentage points.
TOLERANCE_POINTS = 0.5


@pytest.mark.data
@pytest.mark.parametrize("beats_from", ["reference", "detector"])
def test_shipped_model_reproduces_the_model_card_on_ds2(mitdb, beats_from):
    card = read_card_figures(CARD)[f"ds2_{beats_from}"]
    report = evaluate_beats(MITDB_DS2, database=mitdb, beats_from=beats_from,
                            classifier=BeatClassifier(DEFAULT_MODEL_PATH))
    got = report.to_dict()["gross"]
    for cls in SCORED_CLASSES:
        for key in ("se", "ppv"):
            want = card[cls][key]
            if want is None:
                assert got[cls][key] is None
                continue
            assert got[cls][key] == pytest.approx(want, abs=TOLERANCE_POINTS), (cls, key)
